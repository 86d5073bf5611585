using Ovnsim.Ovsdb.Files;
using Ovnsim.Ovsdb.Nbctl;
using Ovnsim.Ovsdb.Northbound;
using Ovnsim.Ovsdb.OpenVswitch;
using Ovnsim.Ovsdb.Southbound;

namespace Ovnsim.Ovsdb;

/// <summary>
/// Opens what users pass as <c>--nb</c>, <c>--sb</c> and <c>--ovs</c>: database files, and for NB also ovn-nbctl
/// command files, told apart by content.
/// </summary>
public static class DatabaseSources
{
    /// <summary>
    /// Loads an NB database from a standalone or clustered database file, or from a file of ovn-nbctl commands.
    /// </summary>
    public static NorthboundDatabase LoadNorthbound(string path)
    {
        byte[] start = ReadStart(path);
        if (DatabaseFile.LooksLikeDatabaseFile(start))
        {
            return Wrap(DatabaseFile.Load(path), d => new NorthboundDatabase(d));
        }

        return NbctlScript.Run(File.ReadAllText(path), path);
    }

    /// <summary>Loads an SB database file.</summary>
    public static SouthboundDatabase LoadSouthbound(string path) =>
        Wrap(DatabaseFile.Load(path), d => new SouthboundDatabase(d));

    /// <summary>Loads an Open_vSwitch database file.</summary>
    public static OpenVswitchDatabase LoadOpenVswitch(string path) =>
        Wrap(DatabaseFile.Load(path), d => new OpenVswitchDatabase(d));

    private static T Wrap<T>(Database db, Func<Database, T> wrap)
    {
        try
        {
            return wrap(db);
        }
        catch (ArgumentException e)
        {
            throw new OvsdbFileException(db.Source, e.Message);
        }
    }

    private static byte[] ReadStart(string path)
    {
        try
        {
            using var f = File.OpenRead(path);
            var buffer = new byte[16];
            int n = f.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            return buffer[..n];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OvsdbFileException(path, $"cannot open: {e.Message}");
        }
    }
}
