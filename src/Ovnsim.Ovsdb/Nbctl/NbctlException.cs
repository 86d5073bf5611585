namespace Ovnsim.Ovsdb.Nbctl;

/// <summary>An ovn-nbctl command file that cannot be run: names the file, the line and the word.</summary>
public sealed class NbctlException : Exception
{
    /// <summary>Makes the error.</summary>
    public NbctlException(string file, int line, string? word, string problem)
        : base(word is null ? $"{file}:{line}: {problem}" : $"{file}:{line}: {word}: {problem}")
    {
        File = file;
        Line = line;
        Word = word;
        Problem = problem;
    }

    /// <summary>The file.</summary>
    public string File { get; }

    /// <summary>The line number, counting from 1, where the offending word (or command) starts.</summary>
    public int Line { get; }

    /// <summary>The word at fault, when there is one.</summary>
    public string? Word { get; }

    /// <summary>What is wrong.</summary>
    public string Problem { get; }
}
