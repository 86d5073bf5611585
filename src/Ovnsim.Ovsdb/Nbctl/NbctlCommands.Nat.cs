using System.Globalization;

namespace Ovnsim.Ovsdb.Nbctl;

internal static partial class NbctlCommands
{
    private static void LrNatAdd(NbctlTransaction tx, NbctlCommand cmd)
    {
        var lr = tx.Router(cmd.Arg(0))!;
        string type = cmd.Arg(1);
        bool isPortRange = cmd.Has("--portrange");
        bool addRoute = cmd.Has("--add-route");
        if (type is not ("dnat" or "snat" or "dnat_and_snat"))
        {
            throw new FormatException($"{type}: type must be one of \"dnat\", \"snat\" and \"dnat_and_snat\".");
        }

        bool v6 = false;
        string? externalIp = AddressText.NormalizeAddress(cmd.Arg(2), false);
        if (externalIp is null)
        {
            externalIp = AddressText.NormalizeAddress(cmd.Arg(2), true);
            v6 = true;
        }

        if (externalIp is null)
        {
            throw new FormatException($"{cmd.Arg(2)}: Not a valid IPv4 or IPv6 address.");
        }

        bool isSnat = type == "snat";
        string family = v6 ? "IPv6" : "IPv4";
        string logicalIp = isSnat
            ? AddressText.NormalizePrefix(cmd.Arg(3), v6) ?? throw new FormatException($"{cmd.Arg(3)}: should be an {family} address or network.")
            : AddressText.NormalizeAddress(cmd.Arg(3), v6) ?? throw new FormatException($"{cmd.Arg(3)}: Not a valid {family} address.");

        string? logicalPort = null, externalMac = null, portRange = null;
        if (cmd.Args.Count == 5)
        {
            if (!isPortRange)
            {
                throw new FormatException("lr-nat-add with logical_port must also specify external_mac.");
            }

            portRange = cmd.Arg(4);
            CheckPortRange(portRange);
        }
        else if (cmd.Args.Count >= 6)
        {
            if (type != "dnat_and_snat")
            {
                throw new FormatException("logical_port and external_mac are only valid when type is \"dnat_and_snat\".");
            }

            if (cmd.Args.Count == 6 && isPortRange)
            {
                throw new FormatException("lr-nat-add with logical_port must also specify external_mac.");
            }

            logicalPort = cmd.Arg(4);
            tx.SwitchPort(logicalPort);
            externalMac = cmd.Arg(5);
            if (!AddressText.IsMac(externalMac))
            {
                throw new FormatException($"invalid mac address {externalMac}.");
            }

            if (cmd.Args.Count > 6)
            {
                portRange = cmd.Arg(6);
                CheckPortRange(portRange);
            }
        }

        bool stateless = cmd.Has("--stateless");
        if (type != "dnat_and_snat" && stateless)
        {
            throw new FormatException("stateless is not applicable to dnat or snat types");
        }

        if (isSnat && addRoute)
        {
            throw new FormatException("routes cannot be added for snat types.");
        }

        static bool IsGatewayPort(Row lrp) => lrp["gateway_chassis"].Count > 0 || lrp["ha_chassis_group"].Count > 0;
        var ports = lr.GetRefs("ports");
        int gatewayPorts = ports.Count(IsGatewayPort);
        Row? dgwPort = null;
        if (cmd.Option("--gateway-port") is { } dgwName)
        {
            dgwPort = tx.RouterPort(dgwName)!;
            if (!ports.Contains(dgwPort))
            {
                throw new FormatException($"{dgwName} is not a router port of logical router: {cmd.Arg(0)}.");
            }

            if (!IsGatewayPort(dgwPort))
            {
                throw new FormatException($"{dgwName} is not a distributed gateway router port.");
            }
        }
        else
        {
            foreach (var lrp in ports.Where(IsGatewayPort))
            {
                if (AddressText.IsPortAddress(lrp.GetStrings("networks"), externalIp))
                {
                    dgwPort = lrp;
                }
            }

            if (gatewayPorts > 1 && dgwPort is null)
            {
                throw new FormatException($"logical router: {cmd.Arg(0)} has multiple distributed gateway ports and " +
                                          "gateway_port can not be determined from external IP of NAT rule.");
            }
        }

        bool mayExist = cmd.Has("--may-exist");
        foreach (var nat in lr.GetRefs("nat"))
        {
            string? oldExternal = AddressText.NormalizeAnyPrefix(nat.GetString("external_ip"));
            string? oldLogical = AddressText.NormalizeAnyPrefix(nat.GetString("logical_ip"));
            if (oldExternal is null || oldLogical is null)
            {
                continue;
            }

            var natGateway = nat.GetRef("gateway_port");
            bool sameScope = gatewayPorts <= 1
                || (natGateway is not null && natGateway == dgwPort)
                || (natGateway is null && dgwPort is not null && AddressText.IsPortAddress(dgwPort.GetStrings("networks"), oldExternal));
            if (nat.GetString("type") == type && sameScope
                && (isSnat ? logicalIp : externalIp) == (isSnat ? oldLogical : oldExternal))
            {
                if ((isSnat ? externalIp : logicalIp) == (isSnat ? oldExternal : oldLogical))
                {
                    if (!mayExist)
                    {
                        throw new FormatException($"{externalIp}, {logicalIp}: a NAT with this external_ip and logical_ip already exists");
                    }

                    NbctlTransaction.SetString(nat, "logical_port", logicalPort);
                    NbctlTransaction.SetString(nat, "external_mac", externalMac);
                    return;
                }

                throw new FormatException($"a NAT with this type ({type}), {(isSnat ? "logical_ip" : "external_ip")} " +
                                          $"({(isSnat ? logicalIp : externalIp)}) already exists");
            }

            if ((type == "dnat_and_snat" || nat.GetString("type") == "dnat_and_snat") && oldExternal == externalIp
                && (nat.GetMap("options").GetValueOrDefault("stateless") == "true" || stateless))
            {
                if (!mayExist)
                {
                    throw new FormatException($"{externalIp}, {logicalIp}: External ip cannot be shared across stateless and stateful NATs");
                }

                return;
            }
        }

        var row = tx.Insert("NAT");
        NbctlTransaction.SetString(row, "type", type);
        NbctlTransaction.SetString(row, "external_ip", externalIp);
        NbctlTransaction.SetString(row, "logical_ip", logicalIp);
        if (logicalPort is not null && externalMac is not null)
        {
            NbctlTransaction.SetString(row, "logical_port", logicalPort);
            NbctlTransaction.SetString(row, "external_mac", externalMac);
        }

        if (portRange is not null)
        {
            NbctlTransaction.SetString(row, "external_port_range", portRange);
        }

        var options = new List<KeyValuePair<string, string>> { new("stateless", stateless ? "true" : "false") };
        if (addRoute)
        {
            options.Add(new("add_route", "true"));
        }

        if (cmd.Option("--gateway-port") is not null && dgwPort is not null)
        {
            NbctlTransaction.AddReference(row, "gateway_port", dgwPort);
        }

        NbctlTransaction.SetMap(row, "options", options);
        NbctlTransaction.AddReference(lr, "nat", row);
    }

    // is_valid_port_range: "PORT" or "LOW-HIGH", 1..65535, LOW <= HIGH.
    private static void CheckPortRange(string range)
    {
        var parts = range.Split('-');
        bool ok = parts.Length is 1 or 2
            && parts.All(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v is >= 1 and <= 65535)
            && (parts.Length == 1 || int.Parse(parts[0], CultureInfo.InvariantCulture) <= int.Parse(parts[1], CultureInfo.InvariantCulture));
        if (!ok)
        {
            throw new FormatException($"invalid port range {range}.");
        }
    }
}
