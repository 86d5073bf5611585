namespace Ovnsim.Cli;

/// <summary>A usage error: the command line itself is wrong (exit status 2).</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>
/// The parsed command line: the command words (<c>nb show</c>) and the <c>--name VALUE</c> or <c>--name=VALUE</c>
/// options. Options are declared per command so an unknown or repeated one is a usage error.
/// </summary>
internal sealed class CommandLine
{
    private readonly Dictionary<string, string?> _options = new(StringComparer.Ordinal);
    private readonly List<(string Name, string Value)> _repeated = [];

    /// <summary>Options that may be given more than once.</summary>
    private static readonly HashSet<string> Repeatable = new(StringComparer.Ordinal) { "--in", "--port" };

    private CommandLine(List<string> words) => Words = words;

    /// <summary>The positional words.</summary>
    public IReadOnlyList<string> Words { get; }

    /// <summary>Splits the arguments; <paramref name="valued"/> lists options that take a value, <paramref name="flags"/> those that do not.</summary>
    public static CommandLine Parse(IReadOnlyList<string> args, IReadOnlySet<string> valued, IReadOnlySet<string> flags)
    {
        var words = new List<string>();
        var line = new CommandLine(words);
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg == "--")
            {
                words.Add(arg);
                continue;
            }

            int eq = arg.IndexOf('=', StringComparison.Ordinal);
            string name = eq < 0 ? arg : arg[..eq];
            string? value = eq < 0 ? null : arg[(eq + 1)..];
            if (valued.Contains(name))
            {
                if (value is null)
                {
                    if (i + 1 >= args.Count)
                    {
                        throw new UsageException($"option {name} needs a value");
                    }

                    value = args[++i];
                }
            }
            else if (flags.Contains(name))
            {
                if (value is not null)
                {
                    throw new UsageException($"option {name} takes no value");
                }
            }
            else
            {
                throw new UsageException($"unknown option {name}");
            }

            if (Repeatable.Contains(name))
            {
                line._repeated.Add((name, value!));
                line._options[name] = value;
            }
            else if (!line._options.TryAdd(name, value))
            {
                throw new UsageException($"option {name} given twice");
            }
        }

        return line;
    }

    /// <summary>Every value of a repeatable option, in order.</summary>
    public IEnumerable<string> GetAll(string name) => _repeated.Where(r => r.Name == name).Select(r => r.Value);

    /// <summary>The value of an option, or null.</summary>
    public string? Get(string name) => _options.GetValueOrDefault(name);

    /// <summary>The value of a required option.</summary>
    public string Require(string name, string command) =>
        Get(name) ?? throw new UsageException($"'{command}' needs {name} FILE");

    /// <summary>True when a flag is given.</summary>
    public bool Has(string name) => _options.ContainsKey(name);
}
