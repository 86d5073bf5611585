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
internal static class Commands
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
    /// command file and shows the topology and the port-forwarding balancer; the packet replay joins it as the engine
    /// lands.
    /// </summary>
    public static int Demo(TextWriter stdout)
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
        stdout.WriteLine("Not simulated yet: logical flows (ovn-northd), OpenFlow (ovn-controller) and the packet replay;");
        stdout.WriteLine("each arrives with its issue. Try: ovnsim nb show --nb src/Ovnsim.Cli/Scenarios/seed/seed.nbctl");
        return 0;
    }

    private static void ReportWarnings(Database db, TextWriter stderr)
    {
        foreach (string warning in db.Warnings)
        {
            stderr.WriteLine($"ovnsim: warning: {warning}");
        }
    }

    private static string ReadResource(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"resource {name} is missing from the program");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
