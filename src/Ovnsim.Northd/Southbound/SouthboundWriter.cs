using System.Security.Cryptography;
using System.Text;
using Ovnsim.Ovsdb;
using Ovnsim.Ovsdb.Schema;
using Ovnsim.Ovsdb.Southbound;
using Ovnsim.Ovsdb.Values;

namespace Ovnsim.Northd.Southbound;

/// <summary>
/// The Southbound database northd's output makes, in memory, for the layers that read an SB (ovn-controller's
/// translation): Datapath_Binding, Port_Binding (with the HA chassis group of a redirect port), Multicast_Group,
/// Address_Set, Load_Balancer, Logical_DP_Group and Logical_Flow rows (with <c>in_out_port</c> tags), and a Chassis
/// row (with a geneve Encap) for each chassis the NB names. No port is bound to a chassis, as northd leaves them:
/// ovn-controller claims them. A row that an existing SB already has (the same port, flow, group, …) keeps its UUID,
/// as northd keeps the rows it finds; others get UUIDs derived from their content, so the same NB always gives the
/// same SB.
/// </summary>
public static class SouthboundWriter
{
    private static readonly Lazy<DatabaseSchema> Schema = new(() =>
    {
        using var stream = typeof(Database).Assembly.GetManifestResourceStream("ovn-sb.ovsschema")
            ?? throw new InvalidOperationException("the embedded SB schema is missing from the assembly");
        using var reader = new StreamReader(stream);
        return DatabaseSchema.Parse(reader.ReadToEnd());
    });

    /// <summary>The SB database of <paramref name="result"/>, keeping the row UUIDs of <paramref name="existing"/>.</summary>
    public static SouthboundDatabase Write(NorthdResult result, SouthboundDatabase? existing = null)
    {
        var db = new Database(Schema.Value);
        var known = existing is null ? new Dictionary<string, Guid>(StringComparer.Ordinal) : ExistingKeys(existing);
        Row Insert(Database d, string table, string content) =>
            d.Insert(table, known.GetValueOrDefault($"{table} {content}", Derived(table, content)));

        var chassis = new Dictionary<string, Row>(StringComparer.Ordinal);
        foreach (string name in result.PortBindings.SelectMany(p => p.HaChassis.Select(h => h.Chassis)).Distinct(StringComparer.Ordinal)
                     .Order(StringComparer.Ordinal))
        {
            var encap = Insert(db, "Encap", $"encap {name}");
            Database.Write(encap, "type", Str("geneve"));
            Database.Write(encap, "ip", Str("127.0.0.1"));
            Database.Write(encap, "chassis_name", Str(name));
            var row = Insert(db, "Chassis", $"chassis {name}");
            Database.Write(row, "name", Str(name));
            Database.Write(row, "hostname", Str(name));
            Database.Write(row, "encaps", Datum.Set([Atom.FromUuid(encap.Uuid)]));
            chassis[name] = row;
        }

        var datapaths = new Dictionary<Guid, Row>();
        foreach (var dp in result.Datapaths)
        {
            var row = db.Insert("Datapath_Binding", dp.Uuid);
            Database.Write(row, "tunnel_key", Int(dp.TunnelKey));
            Database.Write(row, "external_ids", Datum.StringMap(dp.ExternalIds));
            datapaths[dp.Uuid] = row;
        }

        var ports = new Dictionary<string, Row>(StringComparer.Ordinal);
        foreach (var pb in result.PortBindings)
        {
            var row = Insert(db, "Port_Binding", $"port {pb.LogicalPort}");
            Database.Write(row, "logical_port", Str(pb.LogicalPort));
            Database.Write(row, "type", Str(pb.Type));
            Database.Write(row, "datapath", Ref(datapaths[pb.Datapath.Uuid]));
            Database.Write(row, "tunnel_key", Int(pb.TunnelKey));
            Database.Write(row, "options", Datum.StringMap(pb.Options));
            Database.Write(row, "external_ids", Datum.StringMap(pb.ExternalIds));
            Database.Write(row, "mac", Strings(pb.Mac));
            Database.Write(row, "port_security", Strings(pb.PortSecurity));
            Database.Write(row, "nat_addresses", Strings(pb.NatAddresses));
            if (pb.ParentPort is { } parent)
            {
                Database.Write(row, "parent_port", Str(parent));
            }

            if (pb.Tag is { } tag)
            {
                Database.Write(row, "tag", Int(tag));
            }

            if (pb.HaChassis.Count > 0)
            {
                string groupName = pb.HaChassisGroup ?? pb.LogicalPort;
                var group = Insert(db, "HA_Chassis_Group", $"ha group {pb.LogicalPort}");
                Database.Write(group, "name", Str(groupName));
                var members = new List<Atom>();
                foreach (var (name, priority) in pb.HaChassis)
                {
                    var ha = Insert(db, "HA_Chassis", $"ha chassis {pb.LogicalPort} {name}");
                    Database.Write(ha, "chassis", Ref(chassis[name]));
                    Database.Write(ha, "priority", Int(priority));
                    members.Add(Atom.FromUuid(ha.Uuid));
                }

                Database.Write(group, "ha_chassis", Datum.Set(members));
                Database.Write(row, "ha_chassis_group", Ref(group));
            }

            ports[pb.LogicalPort] = row;
        }

        foreach (var mc in result.MulticastGroups)
        {
            var row = Insert(db, "Multicast_Group", $"multicast {mc.Datapath.Uuid} {mc.Name}");
            Database.Write(row, "datapath", Ref(datapaths[mc.Datapath.Uuid]));
            Database.Write(row, "name", Str(mc.Name));
            Database.Write(row, "tunnel_key", Int(mc.TunnelKey));
            Database.Write(row, "ports", Datum.Set(mc.Ports.Where(ports.ContainsKey).Select(p => Atom.FromUuid(ports[p].Uuid))));
        }

        foreach (var set in result.AddressSets)
        {
            var row = Insert(db, "Address_Set", $"address set {set.Name}");
            Database.Write(row, "name", Str(set.Name));
            Database.Write(row, "addresses", Strings(set.Addresses));
        }

        var groups = new Dictionary<string, Row>(StringComparer.Ordinal);
        Row Group(IEnumerable<SbDatapath> members)
        {
            var uuids = members.Select(d => d.Uuid).Order().ToList();
            string key = string.Join(",", uuids);
            if (!groups.TryGetValue(key, out var row))
            {
                row = Insert(db, "Logical_DP_Group", $"dp group {key}");
                Database.Write(row, "datapaths", Datum.Set(uuids.Select(Atom.FromUuid)));
                groups[key] = row;
            }

            return row;
        }

        foreach (var lb in result.LoadBalancers)
        {
            var row = Insert(db, "Load_Balancer", $"load balancer {lb.NbUuid}");
            Database.Write(row, "name", Str(lb.Name));
            Database.Write(row, "protocol", Str(lb.Protocol));
            Database.Write(row, "vips", Datum.StringMap(lb.Vips));
            Database.Write(row, "options", Datum.StringMap(lb.Options));
            Database.Write(row, "external_ids", Datum.StringMap(new Dictionary<string, string> { ["lb_id"] = UuidText.Format(lb.NbUuid) }));
            Database.Write(row, "datapath_group", Ref(Group(lb.Datapaths)));
        }

        foreach (var flowRow in result.LogicalFlowRows())
        {
            var f = flowRow.Flow;
            var row = Insert(db, "Logical_Flow", $"flow {f.Stage.Name} {f.Priority} {f.Match} {f.Actions} "
                                                 + string.Join(",", flowRow.Datapaths.Select(d => d.Uuid).Order()));
            if (flowRow.Datapaths.Count == 1)
            {
                Database.Write(row, "logical_datapath", Ref(datapaths[flowRow.Datapaths[0].Uuid]));
            }
            else
            {
                Database.Write(row, "logical_dp_group", Ref(Group(flowRow.Datapaths)));
            }

            Database.Write(row, "pipeline", Str(f.Stage.PipelineName));
            Database.Write(row, "table_id", Int(f.Stage.Table));
            Database.Write(row, "priority", Int(f.Priority));
            Database.Write(row, "match", Str(f.Match));
            Database.Write(row, "actions", Str(f.Actions));
            Database.Write(row, "external_ids", Datum.StringMap(new Dictionary<string, string> { ["stage-name"] = f.Stage.Name }));
            if (flowRow.InOutPort is { } port)
            {
                Database.Write(row, "tags", Datum.StringMap(new Dictionary<string, string> { ["in_out_port"] = port }));
            }
        }

        return new SouthboundDatabase(db);
    }

    private static Guid Derived(string table, string content)
    {
        byte[] hash = SHA1.HashData(Encoding.UTF8.GetBytes($"ovnsim sb {table} {content}"));
        var bytes = hash.AsSpan(0, 16).ToArray();
        bytes[6] = (byte)((bytes[6] & 0x0f) | 0x50);
        bytes[8] = (byte)((bytes[8] & 0x3f) | 0x80);
        return new Guid(bytes, bigEndian: true);
    }

    /// <summary>The rows of an existing SB under the same content keys <see cref="Write"/> gives its rows.</summary>
    private static Dictionary<string, Guid> ExistingKeys(SouthboundDatabase sb)
    {
        var keys = new Dictionary<string, Guid>(StringComparer.Ordinal);
        void Put(string key, Guid uuid) => keys.TryAdd(key, uuid);
        foreach (var c in sb.Chassis)
        {
            Put($"Chassis chassis {c.Name}", c.Uuid);
        }

        foreach (var pb in sb.PortBindings)
        {
            Put($"Port_Binding port {pb.LogicalPort}", pb.Uuid);
        }

        foreach (var mc in sb.MulticastGroups)
        {
            Put($"Multicast_Group multicast {mc.Datapath?.Uuid} {mc.Name}", mc.Uuid);
        }

        foreach (var set in sb.AddressSets)
        {
            Put($"Address_Set address set {set.Name}", set.Uuid);
        }

        foreach (var lb in sb.LoadBalancers)
        {
            if (lb.ExternalIds.GetValueOrDefault("lb_id") is { } id && Guid.TryParse(id, out var nb))
            {
                Put($"Load_Balancer load balancer {nb}", lb.Uuid);
            }
        }

        foreach (var group in sb.LogicalDpGroups)
        {
            Put($"Logical_DP_Group dp group {string.Join(",", group.Datapaths.Select(d => d.Uuid).Order())}", group.Uuid);
        }

        foreach (var f in sb.LogicalFlows)
        {
            var dps = f.LogicalDatapath is { } one ? [one.Uuid] : f.LogicalDpGroup?.Datapaths.Select(d => d.Uuid).ToList() ?? [];
            Put($"Logical_Flow flow {f.StageName} {f.Priority} {f.Match} {f.Actions} {string.Join(",", dps.Order())}", f.Uuid);
        }

        return keys;
    }

    private static Datum Str(string value) => Datum.Scalar(Atom.FromString(value));

    private static Datum Int(long value) => Datum.Scalar(Atom.FromInteger(value));

    private static Datum Ref(Row row) => Datum.Scalar(Atom.FromUuid(row.Uuid));

    private static Datum Strings(IEnumerable<string> values) => Datum.Set(values.Select(Atom.FromString));
}
