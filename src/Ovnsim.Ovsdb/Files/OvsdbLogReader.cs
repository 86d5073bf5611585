using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Ovnsim.Ovsdb.Files;

/// <summary>
/// Reads the records of an OVSDB log file one at a time (ovsdb(5), <c>ovsdb/log.c</c>). Each record is a header
/// line <c>OVSDB JSON|CLUSTER &lt;length&gt; &lt;sha1&gt;</c> followed by <c>length</c> bytes of JSON whose SHA-1 the
/// header gives. A record cut short by the end of the file is a torn write: like ovsdb-server, the reader reports
/// it through <see cref="TornTail"/> and stops there. Any other damage throws <see cref="OvsdbFileException"/>.
/// </summary>
public sealed class OvsdbLogReader : IDisposable
{
    // ovsdb/log.c reads the header with fgets into a 128-byte buffer.
    private const int MaxHeaderLength = 128;
    private readonly Stream _stream;
    private readonly string _file;
    private long _offset;
    private int _number;
    private string? _magic;

    /// <summary>Opens a reader over a stream; <paramref name="file"/> names it in messages.</summary>
    public OvsdbLogReader(Stream stream, string file)
    {
        _stream = stream;
        _file = file;
    }

    /// <summary>Set when the file ended inside a record: says where, for the warning the caller gives.</summary>
    public string? TornTail { get; private set; }

    /// <summary>Reads the next record, or returns null at the end of the file (or at a torn last record).</summary>
    public OvsdbLogRecord? Next()
    {
        if (TornTail is not null)
        {
            return null;
        }

        long start = _offset;
        int number = _number + 1;
        var header = ReadHeaderLine(out bool sawNewline);
        if (header.Length == 0 && !sawNewline)
        {
            return null;
        }

        if (!sawNewline)
        {
            if (header.Length < MaxHeaderLength && LooksLikeHeaderPrefix(header))
            {
                TornTail = $"{_file}: record {number} at byte offset {start}: file ends inside the header line " +
                           "(a torn write); ignoring it";
                return null;
            }

            throw Error(number, start, $"header line \"{Printable(header)}\" is not terminated by a new-line");
        }

        if (!TryParseHeader(header, out string magic, out long length, out byte[] expectedSha1))
        {
            throw Error(number, start, $"parse error in header line \"{Printable(header)}\"");
        }

        if (_magic is null)
        {
            _magic = magic;
        }
        else if (magic != _magic)
        {
            throw Error(number, start, $"record has magic \"{magic}\" but the file started with \"{_magic}\"");
        }

        var body = new byte[length];
        int got = ReadFully(body);
        if (got < length)
        {
            TornTail = $"{_file}: record {number} at byte offset {start}: file ends {length - got} bytes before the " +
                       $"end of the {length}-byte record (a torn write); ignoring it";
            return null;
        }

        _offset += length;
        byte[] actual = SHA1.HashData(body);
        if (!actual.AsSpan().SequenceEqual(expectedSha1))
        {
            throw Error(number, start,
                $"{length} bytes starting at offset {start + header.Length + 1} have SHA-1 hash {Convert.ToHexStringLower(actual)} " +
                $"but should have hash {Convert.ToHexStringLower(expectedSha1)}");
        }

        _number = number;
        return new OvsdbLogRecord(number, start, magic, body);
    }

    /// <summary>Makes an error about record <paramref name="number"/> of this file.</summary>
    public OvsdbFileException Error(int number, long offset, string problem) => new(_file, number, offset, problem);

    /// <inheritdoc/>
    public void Dispose() => _stream.Dispose();

    private byte[] ReadHeaderLine(out bool sawNewline)
    {
        var line = new List<byte>(64);
        sawNewline = false;
        while (line.Count <= MaxHeaderLength)
        {
            int b = _stream.ReadByte();
            if (b < 0)
            {
                break;
            }

            _offset++;
            if (b == '\n')
            {
                sawNewline = true;
                break;
            }

            line.Add((byte)b);
        }

        return [.. line];
    }

    private int ReadFully(byte[] buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = _stream.Read(buffer, total, buffer.Length - total);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }

    private static bool LooksLikeHeaderPrefix(byte[] header)
    {
        var lead = "OVSDB "u8;
        int n = Math.Min(header.Length, lead.Length);
        return header.AsSpan(0, n).SequenceEqual(lead[..n]);
    }

    private static bool TryParseHeader(byte[] header, out string magic, out long length, out byte[] sha1)
    {
        magic = "";
        length = 0;
        sha1 = [];
        string text = Encoding.ASCII.GetString(header);
        var parts = text.Split(' ');
        if (parts.Length != 4 || parts[0] != "OVSDB" || parts[1].Length == 0
            || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out length)
            || parts[3].Length != 40)
        {
            return false;
        }

        try
        {
            sha1 = Convert.FromHexString(parts[3]);
        }
        catch (FormatException)
        {
            return false;
        }

        magic = parts[1];
        return true;
    }

    private static string Printable(byte[] header)
    {
        var sb = new StringBuilder();
        foreach (byte b in header.AsSpan(0, Math.Min(header.Length, 80)))
        {
            sb.Append(b is >= 0x20 and < 0x7f ? (char)b : '?');
        }

        return sb.ToString();
    }
}
