namespace Ovnsim.Ovsdb.Schema;

/// <summary>A database schema that cannot be understood.</summary>
public sealed class OvsdbSchemaException(string message) : Exception(message);
