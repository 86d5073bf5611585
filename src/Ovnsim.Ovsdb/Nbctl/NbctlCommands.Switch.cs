using Ovnsim.Ovsdb.Values;

namespace Ovnsim.Ovsdb.Nbctl;

internal static partial class NbctlCommands
{
    // Port types ovn-nbctl accepts (lib/ovn-util.c, OVN_NB_LSP_TYPES; "" is a VIF).
    private static readonly string[] KnownLspTypes =
        ["", "l2gateway", "localnet", "localport", "router", "vtep", "external", "virtual", "remote"];

    private static void LsAdd(NbctlTransaction tx, NbctlCommand cmd) => AddNamed(tx, cmd, "Logical_Switch", "switch");

    /// <summary>ls-add and lr-add: a named (or unnamed) switch or router, with --may-exist and --add-duplicate.</summary>
    private static void AddNamed(NbctlTransaction tx, NbctlCommand cmd, string table, string kind)
    {
        string? name = cmd.Args.Count == 1 ? cmd.Arg(0) : null;
        bool mayExist = cmd.Has("--may-exist");
        bool addDuplicate = cmd.Has("--add-duplicate");
        if (mayExist && addDuplicate)
        {
            throw new FormatException("--may-exist and --add-duplicate may not be used together");
        }

        if (name is not null)
        {
            if (!addDuplicate && tx.Db.GetTable(table).UnorderedRows.Any(r => r.GetString("name") == name))
            {
                if (mayExist)
                {
                    return;
                }

                throw new FormatException($"{name}: a {kind} with this name already exists");
            }
        }
        else if (mayExist)
        {
            throw new FormatException("--may-exist requires specifying a name");
        }
        else if (addDuplicate)
        {
            throw new FormatException("--add-duplicate requires specifying a name");
        }

        var row = tx.Insert(table);
        if (name is not null)
        {
            NbctlTransaction.SetString(row, "name", name);
        }
    }

    private static void LspAdd(NbctlTransaction tx, NbctlCommand cmd)
    {
        var ls = tx.Switch(cmd.Arg(0))!;
        string? parent = null;
        long tag = -1;
        if (cmd.Args.Count == 4)
        {
            parent = cmd.Arg(2);
            if (!long.TryParse(cmd.Arg(3), out tag) || tag is < 0 or > 4095)
            {
                throw new FormatException($"{cmd.Arg(3)}: invalid tag (must be in range 0 to 4095)");
            }
        }
        else if (cmd.Args.Count != 2)
        {
            throw new FormatException("lsp-add with parent must also specify a tag");
        }

        string name = cmd.Arg(1);
        if (tx.SwitchPort(name, mustExist: false) is { } existing)
        {
            if (!cmd.Has("--may-exist"))
            {
                throw new FormatException($"{name}: a port with this name already exists");
            }

            var owner = tx.SwitchOf(existing);
            if (owner != ls)
            {
                string ownerName = owner.GetString("name") is { Length: > 0 } n ? n : UuidText.Format(owner.Uuid);
                throw new FormatException($"{name}: port already exists but in switch {ownerName}");
            }

            string? existingParent = existing.GetOptionalString("parent_name");
            if (parent is not null)
            {
                if (existingParent is null)
                {
                    throw new FormatException($"{name}: port already exists but has no parent");
                }

                if (existingParent != parent)
                {
                    throw new FormatException($"{name}: port already exists with different parent {existingParent}");
                }

                long? existingTag = existing.GetOptionalInteger("tag_request");
                if (existingTag is null)
                {
                    throw new FormatException($"{name}: port already exists but has no tag_request");
                }

                if (existingTag != tag)
                {
                    throw new FormatException($"{name}: port already exists with different tag_request {existingTag}");
                }
            }
            else if (existingParent is not null)
            {
                throw new FormatException($"{name}: port already exists but has parent {existingParent}");
            }

            return;
        }

        var lsp = tx.Insert("Logical_Switch_Port");
        NbctlTransaction.SetString(lsp, "name", name);
        if (tag >= 0)
        {
            NbctlTransaction.SetString(lsp, "parent_name", parent);
            NbctlTransaction.SetInteger(lsp, "tag_request", tag);
        }

        NbctlTransaction.AddReference(ls, "ports", lsp);
    }

    private static void LspSetAddresses(NbctlTransaction tx, NbctlCommand cmd)
    {
        var lsp = tx.SwitchPort(cmd.Arg(0))!;
        var ls = tx.SwitchOf(lsp);
        var addresses = cmd.Args.Skip(1).Select(w => w.Text).ToList();
        foreach (string address in addresses)
        {
            bool known = address is "unknown" or "dynamic" or "router"
                || IsMacPrefixed(address)
                || (address.StartsWith("dynamic ", StringComparison.Ordinal)
                    && (AddressText.TryParseIPv4(address[8..].Split(' ')[0], out _)
                        || AddressText.TryParseIPv6(address[8..].Split(' ')[0], out _)));
            if (!known)
            {
                throw new FormatException($"{address}: Invalid address format. See ovn-nb(5). Hint: An Ethernet " +
                                          "address must be listed before an IP address, together as a single argument.");
            }

            CheckDuplicateIps(ls, lsp, address);
        }

        NbctlTransaction.SetStrings(lsp, "addresses", addresses);
    }

    // ovn-nbctl checks that "MAC IP..." does not reuse an IP another port of the switch has
    // (lsp_contains_duplicates).
    private static void CheckDuplicateIps(Row ls, Row lsp, string address)
    {
        var mine = LspAddressIps(address);
        if (mine.Count == 0)
        {
            return;
        }

        foreach (var other in ls.GetRefs("ports"))
        {
            if (other == lsp)
            {
                continue;
            }

            foreach (string theirs in other.GetStrings("addresses"))
            {
                foreach (var (ip, ipv6) in mine)
                {
                    if (LspAddressIps(theirs).Contains((ip, ipv6)))
                    {
                        throw new FormatException($"Error on switch {ls.GetString("name")}: duplicate IPv{(ipv6 ? 6 : 4)} " +
                                                  $"address '{ip}' found on logical switch port '{other.GetString("name")}'");
                    }
                }
            }
        }
    }

    private static List<(string Ip, bool Ipv6)> LspAddressIps(string address)
    {
        var result = new List<(string, bool)>();
        var words = address.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0 || !AddressText.IsMac(words[0]))
        {
            return result;
        }

        foreach (string w in words.Skip(1))
        {
            string host = w.Split('/')[0];
            if (AddressText.TryParseIPv4(host, out var v4))
            {
                result.Add((v4.ToString(), false));
            }
            else if (AddressText.TryParseIPv6(host, out var v6))
            {
                result.Add((v6.ToString(), true));
            }
        }

        return result;
    }

    private static bool IsMacPrefixed(string address)
    {
        int space = address.IndexOf(' ', StringComparison.Ordinal);
        return AddressText.IsMac(space < 0 ? address : address[..space]);
    }

    private static void LspSetType(NbctlTransaction tx, NbctlCommand cmd)
    {
        var lsp = tx.SwitchPort(cmd.Arg(0))!;
        string type = cmd.Arg(1);
        if (!KnownLspTypes.Contains(type))
        {
            throw new FormatException($"Logical switch port type '{type}' is unrecognized. Not setting type.");
        }

        NbctlTransaction.SetString(lsp, "type", type);
    }

    private static void LspSetOptions(NbctlTransaction tx, NbctlCommand cmd)
    {
        var lsp = tx.SwitchPort(cmd.Arg(0))!;
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var w in cmd.Args.Skip(1))
        {
            // strsep(&value, "="): an argument without '=' is dropped, as ovn-nbctl drops it.
            int eq = w.Text.IndexOf('=', StringComparison.Ordinal);
            if (eq >= 0)
            {
                options.TryAdd(w.Text[..eq], w.Text[(eq + 1)..]);
            }
        }

        NbctlTransaction.SetMap(lsp, "options", options);
    }

    private static void LspSetPortSecurity(NbctlTransaction tx, NbctlCommand cmd)
    {
        if (cmd.Args.Count == 0)
        {
            throw new FormatException("'lsp-set-port-security' command requires at least 1 arguments");
        }

        var lsp = tx.SwitchPort(cmd.Arg(0))!;
        NbctlTransaction.SetStrings(lsp, "port_security", cmd.Args.Skip(1).Select(w => w.Text));
    }

    private static void LspSetEnabled(NbctlTransaction tx, NbctlCommand cmd)
    {
        var lsp = tx.SwitchPort(cmd.Arg(0))!;
        bool enabled = cmd.Arg(1) switch
        {
            "enabled" => true,
            "disabled" => false,
            var s => throw new FormatException($"{s}: state must be \"enabled\" or \"disabled\""),
        };
        Database.Write(lsp, "enabled", Datum.Scalar(Atom.FromBoolean(enabled)));
    }

    private static void LsLbAdd(NbctlTransaction tx, NbctlCommand cmd) =>
        AttachLoadBalancer(tx.Switch(cmd.Arg(0))!, tx.LoadBalancer(cmd.Arg(1))!, cmd);

    /// <summary>ls-lb-add and lr-lb-add: add the balancer to the datapath's <c>load_balancer</c> set once.</summary>
    private static void AttachLoadBalancer(Row datapath, Row lb, NbctlCommand cmd)
    {
        if (datapath["load_balancer"].Contains(Atom.FromUuid(lb.Uuid)))
        {
            if (cmd.Has("--may-exist"))
            {
                return;
            }

            throw new FormatException($"{UuidText.Format(lb.Uuid)} : a load balancer with this UUID already exists");
        }

        NbctlTransaction.AddReference(datapath, "load_balancer", lb);
    }
}
