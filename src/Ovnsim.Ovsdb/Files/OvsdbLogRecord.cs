namespace Ovnsim.Ovsdb.Files;

/// <summary>One record of an OVSDB log file: <c>OVSDB &lt;magic&gt; &lt;length&gt; &lt;sha1&gt;\n</c> then the JSON.</summary>
/// <param name="Number">The record's position, counting from 1.</param>
/// <param name="Offset">The byte offset of the header line.</param>
/// <param name="Magic">The magic word: <c>JSON</c> (standalone) or <c>CLUSTER</c> (raft).</param>
/// <param name="Body">The record's JSON text (its checksum verified).</param>
public sealed record OvsdbLogRecord(int Number, long Offset, string Magic, ReadOnlyMemory<byte> Body);
