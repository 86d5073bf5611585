using System.Reflection;
using Ovnsim.Northd;
using Ovnsim.Northd.Southbound;
using Ovnsim.Ovsdb;
using Ovnsim.Ovsdb.Files;
using Ovnsim.Ovsdb.Nbctl;
using Ovnsim.Ovsdb.Northbound;
using Ovnsim.Ovsdb.Southbound;

namespace Ovnsim.Cli;

/// <summary>The commands of <c>ovnsim</c>, each printing at the edge what the layers below compute.</summary>
internal static partial class Commands
{
    /// <summary><c>ovnsim nb show --nb FILE</c>: what <c>ovn-nbctl show</c> prints.</summary>
    public static int NbShow(CommandLine line, TextWriter stdout, TextWriter stderr)
    {
        var nb = DatabaseSources.LoadNorthbound(line.Require("--nb", "nb show"));
        ReportWarnings(nb.Database, stderr);
        stdout.Write(NbctlShow.Render(nb));
        return 0;
    }

    /// <summary>
    /// <c>ovnsim lflows (--nb FILE [--sb FILE] | --sb FILE)</c>: what <c>ovn-sbctl dump-flows</c> prints, for the
    /// flows northd compiles from the NB database or, with an SB database alone, for that database's own flows.
    /// </summary>
    public static int Lflows(CommandLine line, TextWriter stdout, TextWriter stderr)
    {
        string? nbPath = line.Get("--nb");
        string? sbPath = line.Get("--sb");
        if (nbPath is null && sbPath is null)
        {
            throw new UsageException("lflows needs --nb FILE (and optionally --sb FILE) or --sb FILE");
        }

        SouthboundDatabase? sb = null;
        if (sbPath is not null)
        {
            sb = DatabaseSources.LoadSouthbound(sbPath);
            ReportWarnings(sb.Database, stderr);
        }

        if (nbPath is null)
        {
            stdout.Write(DumpFlows.Render(DumpFlows.FromSouthbound(sb!)));
            return 0;
        }

        var nb = DatabaseSources.LoadNorthbound(nbPath);
        ReportWarnings(nb.Database, stderr);
        var result = NorthdCompiler.Compile(nb, sb);
        foreach (string warning in result.Warnings)
        {
            stderr.WriteLine($"ovnsim: {warning}");
        }

        stdout.Write(DumpFlows.Render(result.Listing()));
        return 0;
    }

    /// <summary>
    /// <c>ovnsim openflow (--sb FILE | --nb FILE [--sb FILE]) [--ovs FILE] [--no-stats] [--names]</c>: the flows
    /// ovn-controller installs on
    /// br-int for one chassis, as <c>ovs-ofctl dump-flows br-int</c> prints them (with <c>--names</c>, ports by
    /// name). OVS prints flows in its classifier's order; ovnsim prints them by table, then priority (highest
    /// first), then match text.
    /// </summary>
    public static int OpenFlow(CommandLine line, TextWriter stdout, TextWriter stderr)
    {
        var (bridge, hv) = Bridge(line, "openflow", stderr);
        var names = line.Has("--names") ? new Ovnsim.OpenFlow.OfctlPortNames(hv.PortNames) : null;
        bool stats = !line.Has("--no-stats");
        if (stats)
        {
            stdout.WriteLine("NXST_FLOW reply (xid=0x4):");
        }

        foreach (var flow in bridge.Flows.OrderBy(f => f.Table).ThenByDescending(f => f.Priority)
                     .ThenBy(f => f.MatchText, StringComparer.Ordinal))
        {
            string text = stats ? WithStats(flow) : flow.ToOfctlLine();
            stdout.WriteLine(names is null ? text : names.Apply(text));
        }

        return 0;
    }

    /// <summary><c>ovnsim groups --sb FILE [--ovs FILE]</c>: the groups, as <c>ovs-ofctl dump-groups br-int</c>.</summary>
    public static int Groups(CommandLine line, TextWriter stdout, TextWriter stderr)
    {
        var (bridge, _) = Bridge(line, "groups", stderr);
        stdout.WriteLine("OFPST_GROUP_DESC reply (OF1.5) (xid=0x2):");
        foreach (var (id, text) in bridge.Groups.Groups)
        {
            stdout.WriteLine($" group_id={id},{text}");
        }

        return 0;
    }

    private static (Ovnsim.OpenFlow.IntegrationBridge, Ovnsim.OpenFlow.Hypervisor) Bridge(CommandLine line, string command, TextWriter stderr)
    {
        var (sb, hv, _) = Chassis(line, command, stderr);
        var bridge = Ovnsim.OpenFlow.IntegrationBridge.Build(sb, hv);
        foreach (string warning in bridge.Warnings)
        {
            stderr.WriteLine($"ovnsim: {warning}");
        }

        return (bridge, hv);
    }

    /// <summary>The SB (from --sb, or northd's from --nb) and the chassis (from --ovs, or the default binding).</summary>
    internal static (SouthboundDatabase Sb, Ovnsim.OpenFlow.Hypervisor Hv, Ovnsim.Ovsdb.OpenVswitch.OpenVswitchDatabase? Ovs) Chassis(
        CommandLine line, string command, TextWriter stderr)
    {
        SouthboundDatabase sb;
        if (line.Get("--nb") is { } nbPath)
        {
            // NB → northd → an in-memory SB (an --sb file supplies the tunnel keys, as for lflows).
            var nb = DatabaseSources.LoadNorthbound(nbPath);
            ReportWarnings(nb.Database, stderr);
            SouthboundDatabase? existing = null;
            if (line.Get("--sb") is { } sbPath)
            {
                existing = DatabaseSources.LoadSouthbound(sbPath);
                ReportWarnings(existing.Database, stderr);
            }

            var result = NorthdCompiler.Compile(nb, existing);
            foreach (string warning in result.Warnings)
            {
                stderr.WriteLine($"ovnsim: {warning}");
            }

            sb = SouthboundWriter.Write(result, existing);
        }
        else
        {
            sb = DatabaseSources.LoadSouthbound(line.Require("--sb", command));
            ReportWarnings(sb.Database, stderr);
        }

        if (line.Get("--ovs") is { } ovsPath)
        {
            var ovs = DatabaseSources.LoadOpenVswitch(ovsPath);
            ReportWarnings(ovs.Database, stderr);
            if (ovs.SystemId is null)
            {
                throw new UsageException($"{ovsPath}: the Open_vSwitch row has no external_ids:system-id");
            }

            return (sb, Ovnsim.OpenFlow.Hypervisor.FromOpenVswitch(ovs), ovs);
        }

        return (sb, Ovnsim.OpenFlow.Hypervisor.Default(sb), null);
    }

    /// <summary>
    /// <c>ovnsim bench classifier --rules N --priorities P --subtables S --lookups L</c>: OVS's
    /// <c>test-classifier benchmark</c> workload (same generator, same rules and lookups) on ovnsim's classifier,
    /// printed as <c>ovstest test-classifier benchmark N P S 1 L</c> prints it (without wildcards, then with them);
    /// then the same for the variant whose rules honour their wildcards.
    /// </summary>
    public static int BenchClassifier(CommandLine line, TextWriter stdout)
    {
        int Int(string name, int fallback) =>
            line.Get(name) is { } v ? int.TryParse(v, out int n) && n > 0 ? n : throw new UsageException($"{name} {v}: expected a positive number") : fallback;
        int rules = Int("--rules", 1000), priorities = Int("--priorities", 1000), subtables = Int("--subtables", 30), lookups = Int("--lookups", 10_000_000);
        stdout.WriteLine($"\nBenchmarking with:\n{rules} rules with {priorities} priorities in {subtables} tables, 1 threads doing {lookups} lookups each");
        foreach (bool honour in new[] { false, true })
        {
            var w = new Ovnsim.Engine.ClassifierWorkload(rules, priorities, subtables, honour);
            var cls = new Ovnsim.Engine.Classifier<int>();
            foreach (var (value, mask, priority) in w.Rules)
            {
                cls.Insert(value, mask, priority, 0);
            }

            stdout.WriteLine(honour
                ? "\nRules matching only their wildcard pattern's fields (not what OVS 3.1's make_rule does):"
                : "\nAs OVS 3.1 builds them (make_rule matches every field):");
            stdout.WriteLine($"{cls.Count} rules in {cls.SubtableCount} subtables, vector width {cls.Width}");
            foreach (bool useWc in new[] { false, true })
            {
                var (hits, ms) = RunLookups(cls, w, lookups, useWc);
                stdout.WriteLine(useWc ? "\nWith wildcards: \n" : "\nWithout wildcards: \n");
                stdout.WriteLine($"hits: {hits}, misses: {lookups - hits}");
                stdout.WriteLine($"classifier lookups:  {ms,5} ms, {(long)lookups * 1000 / Math.Max(ms, 1)} lookups/sec");
            }
        }

        return 0;
    }

    /// <summary>
    /// test-classifier's lookup thread: each index drawn just before its lookup (so that the loop costs what OVS's
    /// costs around the lookups), with wildcards cleared and collected for each lookup if <paramref name="useWc"/>.
    /// Returns the hits and the whole milliseconds elapsed.
    /// </summary>
    private static (int Hits, long Ms) RunLookups(Ovnsim.Engine.Classifier<int> cls, Ovnsim.Engine.ClassifierWorkload w, int lookups, bool useWc)
    {
        var draw = w.DrawLookups();
        var keys = w.Lookups;
        var wc = default(Ovnsim.Engine.FlowKey);
        int hits = 0;
        var sw = System.Diagnostics.Stopwatch.StartNew();
        for (int n = 0; n < lookups; n++)
        {
            ref readonly var key = ref keys[draw.Next()];
            Ovnsim.Engine.ClassifierRule<int>? rule;
            if (useWc)
            {
                wc = default;
                rule = cls.Lookup(key, ref wc);
            }
            else
            {
                rule = cls.Lookup(key);
            }

            hits += rule is null ? 0 : 1;
        }

        return (hits, sw.ElapsedMilliseconds);
    }

    /// <summary>A flow line with the statistics a fresh flow shows.</summary>
    private static string WithStats(Ovnsim.OpenFlow.OpenFlowFlow flow)
    {
        string line = flow.ToOfctlLine();
        string cookie = flow.Cookie != 0 ? $"cookie=0x{flow.Cookie:x}, " : "";
        string rest = line[(1 + cookie.Length)..];
        string table = flow.Table != 0 ? $"table={flow.Table}, " : "";
        return $" {cookie}duration=0s, {table}n_packets=0, n_bytes=0, {rest[table.Length..]}";
    }

    /// <summary><c>ovnsim db summary --db FILE</c>: the schema and every table's row count.</summary>
    public static int DbSummary(CommandLine line, TextWriter stdout, TextWriter stderr)
    {
        string path = line.Require("--db", "db summary");
        var db = DatabaseFile.Load(path);
        ReportWarnings(db, stderr);
        stdout.WriteLine($"{db.Schema.Name} {db.Schema.Version}");
        foreach (var table in db.Tables.Values.OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            stdout.WriteLine($"  {table.Name,-32} {table.Count,6} rows");
        }

        return 0;
    }

    /// <summary>
    /// <c>ovnsim demo</c>: the built-in seed scenario. Today it builds the seed's NB database from its ovn-nbctl
    /// command file, shows the topology and the port-forwarding balancer, and the logical flows ovn-northd makes of
    /// it; the packet replay joins it as the engine lands.
    /// </summary>
    public static int Demo(CommandLine line, TextWriter stdout)
    {
        string script = ReadResource("seed/seed.nbctl");
        var nb = NbctlScript.Run(script, "seed.nbctl");
        stdout.WriteLine("ovnsim demo: Neutron floating-IP port forwarding on ML2/OVN (the seed scenario)");
        stdout.WriteLine();
        stdout.WriteLine("1. The NB database, built from the seed's ovn-nbctl commands (as 'ovn-nbctl show' prints it):");
        stdout.WriteLine();
        foreach (string l in NbctlShow.Render(nb).TrimEnd('\n').Split('\n'))
        {
            stdout.WriteLine("   " + l);
        }

        stdout.WriteLine();
        stdout.WriteLine("2. Port forwarding: one Load_Balancer per floating IP and protocol, one VIP per forwarding,");
        stdout.WriteLine("   attached to the router, so ovn-northd DNATs the floating IP in lr_in_dnat:");
        stdout.WriteLine();
        foreach (var lb in nb.LoadBalancers)
        {
            var routers = nb.LogicalRouters.Where(r => r.LoadBalancers.Any(l => l.Uuid == lb.Uuid))
                .Select(r => r.ExternalIds.GetValueOrDefault("neutron:router_name") ?? r.Name);
            stdout.WriteLine($"   {lb.Name} ({lb.Protocol ?? "tcp"}) on router {string.Join(", ", routers)}");
            foreach (var (vip, backends) in lb.Vips)
            {
                stdout.WriteLine($"     {vip,-20} -> {backends}");
            }
        }

        stdout.WriteLine();
        stdout.WriteLine($"   {nb.Database.Tables.Values.Sum(t => t.Count)} NB rows in {nb.Database.Tables.Values.Count(t => t.Count > 0)} tables.");
        stdout.WriteLine();

        var compiled = NorthdCompiler.Compile(nb);
        var listing = compiled.Listing();
        stdout.WriteLine($"3. ovn-northd compiles them into {compiled.FlowCount} logical flows. The ones that make port forwarding work:");
        var floatingIps = nb.LoadBalancers.SelectMany(lb => lb.Vips.Keys).Select(v => v.Split(':')[0]).ToHashSet(StringComparer.Ordinal);
        foreach (var (stage, why) in new[]
                 {
                     ("ls_in_l2_lkup", "the provider switch sends ARP for the floating IP to the router only"),
                     ("lr_in_ip_input", "the router answers ARP for its VIPs (the $_rtr_lb_N_ip4 set); on the gateway port only on the gateway chassis"),
                     ("lr_in_defrag", "packets to the floating IP go through conntrack"),
                     ("lr_in_dnat", "a new connection to FIP:port is load-balanced (DNAT) to the VM's IP:port"),
                     ("lr_out_undnat", "replies from the VM are un-DNATed on their way out"),
                 })
        {
            var flows = listing.Where(f => f.StageName == stage
                                           && (floatingIps.Any(ip => f.Match.Contains(ip, StringComparison.Ordinal))
                                               || f.Match.Contains("$_rtr_lb_", StringComparison.Ordinal)
                                               || (stage == "lr_out_undnat" && f.Priority == 120)))
                .OrderByDescending(f => f.Priority).ToList();
            if (flows.Count == 0)
            {
                continue;
            }

            stdout.WriteLine();
            stdout.WriteLine($"   {stage}: {why}");
            foreach (var f in flows)
            {
                stdout.WriteLine($"     priority={f.Priority}, match=({f.Match})");
                stdout.WriteLine($"       action=({f.Actions})");
            }
        }

        stdout.WriteLine();
        stdout.WriteLine("   All of them: ovnsim lflows --nb src/Ovnsim.Cli/Scenarios/seed/seed.nbctl");

        // ovn-controller on the one chassis (hv1): the VIFs and the gateway port claimed, the flows of br-int.
        var sb = SouthboundWriter.Write(compiled);
        var hv = Ovnsim.OpenFlow.Hypervisor.Default(sb);
        var bridge = Ovnsim.OpenFlow.IntegrationBridge.Build(sb, hv);
        stdout.WriteLine();
        stdout.WriteLine($"4. ovn-controller on {hv.ChassisName} turns them into {bridge.Flows.Count} OpenFlow flows on br-int; each");
        stdout.WriteLine("   lr_in_dnat ct_lb_mark becomes a select group whose bucket DNATs in the router's conntrack zone");
        stdout.WriteLine("   (as 'ovs-ofctl dump-groups br-int' prints them):");
        stdout.WriteLine();
        foreach (var (id, text) in bridge.Groups.Groups)
        {
            stdout.WriteLine($"   group_id={id},{text}");
        }

        stdout.WriteLine();
        stdout.WriteLine("   All of them: ovnsim openflow --nb src/Ovnsim.Cli/Scenarios/seed/seed.nbctl --no-stats");
        stdout.WriteLine();
        DemoPackets(sb, hv, line.Get("--out") ?? "ovnsim-demo-output", stdout);
        return 0;
    }

    private static void ReportWarnings(Database db, TextWriter stderr)
    {
        foreach (string warning in db.Warnings)
        {
            stderr.WriteLine($"ovnsim: warning: {warning}");
        }
    }

    private static Stream OpenResource(string name) =>
        Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
        ?? throw new InvalidOperationException($"resource {name} is missing from the program");

    private static string ReadResource(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"resource {name} is missing from the program");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
