namespace Ovnsim.Ovsdb.Values;

/// <summary>A value that does not fit its column: bad JSON shape, wrong atomic type, or a broken constraint.</summary>
public sealed class OvsdbDataException(string message) : Exception(message);
