using System.Reflection;
using Ovnsim.Ovsdb.Northbound;
using Ovnsim.Ovsdb.Schema;
using Ovnsim.Ovsdb.Values;

namespace Ovnsim.Ovsdb.Nbctl;

/// <summary>
/// Builds an NB database from a file of ovn-nbctl command lines, the way OVN tutorials describe topologies. Each
/// line is what one <c>ovn-nbctl</c> invocation would run (the leading <c>ovn-nbctl</c> is optional): commands
/// chained with <c>--</c>, each with its options, all in one transaction. As ovn-nbctl does, every transaction makes
/// the NB_Global row if there is none, and a commit deletes rows nothing refers to (ovsdb garbage collection).
/// Rows get deterministic UUIDs, so a file always gives the same database.
/// </summary>
public static class NbctlScript
{
    // Options ovn-nbctl takes before the first command that change how it talks to the server, not what it writes.
    private static readonly string[] GlobalOptions =
    [
        "--no-wait", "--wait", "--db", "--timeout", "--leader-only", "--no-leader-only", "--shuffle-remotes",
        "--no-shuffle-remotes", "--oneline", "--no-syslog", "--print-wait-time", "--verbose",
    ];

    private static readonly Lazy<DatabaseSchema> Schema = new(LoadSchema);

    /// <summary>The OVN_Northbound 7.0.0 schema (OVN 23.03) the commands build against.</summary>
    public static DatabaseSchema NorthboundSchema => Schema.Value;

    /// <summary>Runs the command file's text; <paramref name="file"/> names it in errors and seeds the UUIDs.</summary>
    public static NorthboundDatabase Run(string text, string file)
    {
        var db = new Database(Schema.Value) { Source = file };
        var newUuid = NbctlTransaction.UuidGenerator(Path.GetFileName(file));
        foreach (var line in CommandFileLexer.Split(text, file))
        {
            RunLine(db, line, file, newUuid);
        }

        return new NorthboundDatabase(db);
    }

    private static void RunLine(Database db, List<Word> words, string file, Func<Guid> newUuid)
    {
        int i = 0;
        if (words[0].Text is "ovn-nbctl")
        {
            i++;
        }

        var commands = new List<NbctlCommand>();
        bool first = true;
        while (i < words.Count)
        {
            var options = new Dictionary<string, string?>(StringComparer.Ordinal);
            while (i < words.Count && words[i].Text.StartsWith("--", StringComparison.Ordinal) && words[i].Text != "--")
            {
                var (name, value) = SplitOption(words[i].Text);
                if (first && GlobalOptions.Contains(name))
                {
                    i++;
                    continue;
                }

                if (!options.TryAdd(name, value))
                {
                    throw new NbctlException(file, words[i].Line, words[i].Text, "option given twice");
                }

                i++;
            }

            if (i >= words.Count || words[i].Text == "--")
            {
                int at = i < words.Count ? words[i].Line : words[^1].Line;
                throw new NbctlException(file, at, null, "missing command name (each '--' must be followed by a command)");
            }

            var nameWord = words[i++];
            var args = new List<Word>();
            while (i < words.Count && words[i].Text != "--")
            {
                args.Add(words[i++]);
            }

            if (i < words.Count)
            {
                i++; // the "--" separator
                if (i == words.Count)
                {
                    throw new NbctlException(file, words[^1].Line, "--", "missing command after '--'");
                }
            }

            commands.Add(Check(new NbctlCommand(nameWord.Text, options, args, nameWord.Line), file));
            first = false;
        }

        var tx = new NbctlTransaction(db, newUuid);
        if (db.GetTable("NB_Global").Count == 0)
        {
            tx.Insert("NB_Global");
        }

        foreach (var command in commands)
        {
            try
            {
                NbctlCommands.Table[command.Name].Run(tx, command);
            }
            catch (Exception e) when (e is FormatException or OvsdbDataException or ArgumentException)
            {
                throw new NbctlException(file, command.Line, command.Name, e.Message);
            }
        }

        int line = commands[0].Line;
        if (tx.DanglingSymbols.FirstOrDefault() is { } dangling)
        {
            throw new NbctlException(file, line, dangling, "row id is referenced but never created (e.g. with \"--id\")");
        }

        try
        {
            db.CollectGarbage();
            db.CheckReferences();
        }
        catch (OvsdbDataException e)
        {
            throw new NbctlException(file, line, null, e.Message);
        }
    }

    private static NbctlCommand Check(NbctlCommand command, string file)
    {
        if (!NbctlCommands.Table.TryGetValue(command.Name, out var syntax))
        {
            string problem = NbctlCommands.ReadOnly.Contains(command.Name)
                ? "this command only prints; a command file builds a database (use 'ovnsim nb show' to look at it)"
                : "unknown command, or one ovnsim does not run yet (see the README for the list)";
            throw new NbctlException(file, command.Line, command.Name, problem);
        }

        var allowed = syntax.AllowedOptions.Split(',', StringSplitOptions.RemoveEmptyEntries);
        foreach (var (name, value) in command.Options)
        {
            string? spec = allowed.FirstOrDefault(a => a.TrimEnd('=', '?') == name);
            if (spec is null)
            {
                throw new NbctlException(file, command.Line, name, $"'{command.Name}' command has no '{name}' option");
            }

            if (spec.EndsWith('=') && value is null)
            {
                throw new NbctlException(file, command.Line, name, $"missing argument to '{name}' option on '{command.Name}' command");
            }

            if (!spec.EndsWith('=') && !spec.EndsWith('?') && value is not null)
            {
                throw new NbctlException(file, command.Line, name, $"'{name}' option on '{command.Name}' does not accept an argument");
            }
        }

        int n = command.Args.Count;
        if (n < syntax.MinArgs || n > syntax.MaxArgs)
        {
            string problem = n < syntax.MinArgs
                ? $"'{command.Name}' command requires at least {syntax.MinArgs} arguments"
                : $"'{command.Name}' command takes at most {syntax.MaxArgs} arguments";
            throw new NbctlException(file, command.Line, command.Name, $"{problem} (usage: {command.Name} {syntax.Usage})");
        }

        return command;
    }

    private static (string Name, string? Value) SplitOption(string word)
    {
        int eq = word.IndexOf('=', StringComparison.Ordinal);
        return eq < 0 ? (word, null) : (word[..eq], word[(eq + 1)..]);
    }

    private static DatabaseSchema LoadSchema()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("ovn-nb.ovsschema")
            ?? throw new InvalidOperationException("the embedded NB schema is missing from the assembly");
        using var reader = new StreamReader(stream);
        return DatabaseSchema.Parse(reader.ReadToEnd());
    }
}
