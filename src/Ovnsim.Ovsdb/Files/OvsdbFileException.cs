namespace Ovnsim.Ovsdb.Files;

/// <summary>A database file that cannot be read: names the file, the record (counting from 1) and its byte offset.</summary>
public sealed class OvsdbFileException : Exception
{
    /// <summary>Makes the error.</summary>
    public OvsdbFileException(string file, int record, long offset, string problem)
        : base($"{file}: record {record} at byte offset {offset}: {problem}")
    {
        File = file;
        Record = record;
        Offset = offset;
        Problem = problem;
    }

    /// <summary>Makes an error about the file as a whole.</summary>
    public OvsdbFileException(string file, string problem)
        : base($"{file}: {problem}")
    {
        File = file;
        Problem = problem;
    }

    /// <summary>The file.</summary>
    public string File { get; }

    /// <summary>The record number, counting from 1; 0 when the error is about the whole file.</summary>
    public int Record { get; }

    /// <summary>The byte offset of the record's header line.</summary>
    public long Offset { get; }

    /// <summary>What is wrong.</summary>
    public string Problem { get; }
}
