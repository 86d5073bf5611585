namespace Ovnsim.Ovsdb.Values;

/// <summary>The atomic types of RFC 7047 section 3.2 (<c>&lt;atomic-type&gt;</c>).</summary>
public enum AtomType
{
    /// <summary>A 64-bit signed integer.</summary>
    Integer,

    /// <summary>An IEEE 754 double.</summary>
    Real,

    /// <summary>A boolean.</summary>
    Boolean,

    /// <summary>A Unicode string.</summary>
    String,

    /// <summary>A UUID, written <c>["uuid", "…"]</c> in JSON.</summary>
    Uuid,
}
