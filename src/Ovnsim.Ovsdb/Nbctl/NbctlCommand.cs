namespace Ovnsim.Ovsdb.Nbctl;

/// <summary>One ovn-nbctl command of a command line: its name, its <c>--options</c> and its arguments.</summary>
/// <param name="Name">The command name, e.g. <c>lsp-add</c>.</param>
/// <param name="Options">The command's options: name (with the leading dashes) to value, null for a flag.</param>
/// <param name="Args">The arguments after the name.</param>
/// <param name="Line">The line the command name is on.</param>
internal sealed record NbctlCommand(string Name, IReadOnlyDictionary<string, string?> Options, IReadOnlyList<Word> Args, int Line)
{
    /// <summary>True when the flag option is given.</summary>
    public bool Has(string option) => Options.ContainsKey(option);

    /// <summary>The value of an option, or null.</summary>
    public string? Option(string option) => Options.GetValueOrDefault(option);

    /// <summary>Argument <paramref name="i"/>'s text.</summary>
    public string Arg(int i) => Args[i].Text;
}

/// <summary>
/// One entry of the command table: name, argument counts and allowed options, as ovn-nbctl's
/// <c>nbctl_commands[]</c> and db-ctl-base's <c>db_ctl_commands[]</c> declare them.
/// </summary>
/// <param name="Name">The command name.</param>
/// <param name="MinArgs">The fewest arguments.</param>
/// <param name="MaxArgs">The most arguments.</param>
/// <param name="Usage">The argument synopsis, for errors.</param>
/// <param name="AllowedOptions">Options: "--name" for a flag, "--name=" for one taking a value, "--name?" for either.</param>
/// <param name="Run">Carries the command out.</param>
internal sealed record NbctlCommandSyntax(
    string Name, int MinArgs, int MaxArgs, string Usage, string AllowedOptions, Action<NbctlTransaction, NbctlCommand> Run);
