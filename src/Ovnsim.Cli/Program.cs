using Ovnsim.Ovsdb.Files;
using Ovnsim.Ovsdb.Nbctl;
using Ovnsim.Ovsdb.Schema;
using Ovnsim.Ovsdb.Values;

namespace Ovnsim.Cli;

/// <summary>The <c>ovnsim</c> entry point: dispatches to the commands and turns user errors into one line and an exit status.</summary>
internal static class Program
{
    /// <summary>Exit status for a user error (bad file, bad database, bad command file).</summary>
    public const int UserError = 1;

    /// <summary>Exit status for a usage error (bad command line).</summary>
    public const int UsageError = 2;

    private static readonly HashSet<string> Valued = new(StringComparer.Ordinal) { "--nb", "--sb", "--ovs", "--db", "--in", "--out", "--zone", "--pcapng", "--expect", "--garps-before", "--port" };
    private static readonly HashSet<string> Flags = new(StringComparer.Ordinal) { "--help", "--no-stats", "--names", "--no-megaflows", "--garps" };
    private static readonly HashSet<string> BenchValued = new(StringComparer.Ordinal) { "--rules", "--priorities", "--subtables", "--lookups" };

    public static int Main(string[] args)
    {
        Commands.ProgressTo = Console.IsErrorRedirected ? null : Console.Error;
        return Run(args, Console.Out, Console.Error);
    }

    /// <summary>Runs one command line, writing to the given streams; returns the exit status.</summary>
    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        try
        {
            var line = CommandLine.Parse(args, args.Count > 0 && args[0] == "bench" ? BenchValued : Valued, Flags);
            if (line.Has("--help") || line.Words.Count == 0 || line.Words[0] is "help")
            {
                stdout.Write(Usage.Text);
                return line.Words.Count == 0 && !line.Has("--help") ? UsageError : 0;
            }

            return line.Words switch
            {
                ["nb", "show"] => Commands.NbShow(line, stdout, stderr),
                ["db", "summary"] => Commands.DbSummary(line, stdout, stderr),
                ["lflows"] => Commands.Lflows(line, stdout, stderr),
                ["openflow"] => Commands.OpenFlow(line, stdout, stderr),
                ["groups"] => Commands.Groups(line, stdout, stderr),
                ["demo"] => Commands.Demo(line, stdout),
                ["replay"] => Commands.Replay(line, stdout, stderr),
                ["conntrack"] => Commands.Conntrack(line, stdout, stderr),
                ["run"] => Commands.Run(line, stdout, stderr),
                ["bench", "classifier"] => Commands.BenchClassifier(line, stdout),
                _ => throw new UsageException($"unknown command '{string.Join(' ', line.Words)}' (try 'ovnsim --help')"),
            };
        }
        catch (UsageException e)
        {
            stderr.WriteLine($"ovnsim: {e.Message}");
            return UsageError;
        }
        catch (Exception e) when (e is OvsdbFileException or NbctlException or OvsdbDataException
                                      or OvsdbSchemaException or IOException or UnauthorizedAccessException
                                      or InvalidDataException or ArgumentException)
        {
            stderr.WriteLine($"ovnsim: {e.Message}");
            return UserError;
        }
    }
}
