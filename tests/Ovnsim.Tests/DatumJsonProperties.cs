using System.Text.Json;
using FsCheck;
using FsCheck.Xunit;
using Ovnsim.Ovsdb.Schema;
using Ovnsim.Ovsdb.Values;

namespace Ovnsim.Tests;

/// <summary>FsCheck properties of the RFC 7047 value codec: what it writes, it reads back equal.</summary>
public sealed class DatumJsonProperties
{
    private static readonly ColumnType IntegerSet = Type(AtomType.Integer, null);
    private static readonly ColumnType StringMap = Type(AtomType.String, AtomType.String);
    private static readonly ColumnType UuidToInteger = Type(AtomType.Uuid, AtomType.Integer);
    private static readonly ColumnType RealSet = Type(AtomType.Real, null);
    private static readonly ColumnType BooleanSet = Type(AtomType.Boolean, null);

    [Property(MaxTest = 300)]
    public bool Integer_sets_round_trip(long[] values) => RoundTrips(Datum.Set(values.Distinct().Select(Atom.FromInteger)), IntegerSet);

    [Property(MaxTest = 300)]
    public bool String_maps_round_trip(NonNull<string>[] keys, NonNull<string>[] values)
    {
        var pairs = keys.Select(k => k.Get).Distinct(StringComparer.Ordinal)
            .Zip(values.Select(v => v.Get), (k, v) => KeyValuePair.Create(Atom.FromString(k), Atom.FromString(v)));
        return RoundTrips(Datum.Map(pairs), StringMap);
    }

    [Property(MaxTest = 300)]
    public bool Uuid_keyed_maps_round_trip(Guid[] keys, long[] values) =>
        RoundTrips(Datum.Map(keys.Distinct().Zip(values, (k, v) => KeyValuePair.Create(Atom.FromUuid(k), Atom.FromInteger(v)))), UuidToInteger);

    [Property(MaxTest = 300)]
    public bool Finite_real_sets_round_trip(NormalFloat[] values) =>
        RoundTrips(Datum.Set(values.Select(v => v.Get).Distinct().Select(Atom.FromReal)), RealSet);

    [Property]
    public bool Boolean_sets_round_trip(bool[] values) => RoundTrips(Datum.Set(values.Distinct().Select(Atom.FromBoolean)), BooleanSet);

    [Property(MaxTest = 300)]
    public bool Sets_are_kept_sorted_and_unique_whatever_the_input_order(long[] values)
    {
        var datum = Datum.Set(values.Distinct().Reverse().Select(Atom.FromInteger));
        var expected = values.Distinct().Order().ToArray();
        return datum.Keys.ToArray().Select(a => a.Integer).SequenceEqual(expected);
    }

    [Property(MaxTest = 300)]
    public bool Applying_a_set_diff_twice_restores_the_original(long[] start, long[] diff)
    {
        // ovsdb_datum_diff is its own inverse: old (+) d (+) d == old.
        var a = Datum.Set(start.Distinct().Select(Atom.FromInteger));
        var d = Datum.Set(diff.Distinct().Select(Atom.FromInteger));
        return a.ApplyDiff(d).ApplyDiff(d).Equals(a);
    }

    [Fact]
    public void One_element_sets_are_written_bare_and_others_tagged()
    {
        Assert.Equal("5", DatumJson.ToJson(Datum.Scalar(Atom.FromInteger(5))));
        Assert.Equal("[\"set\",[]]", DatumJson.ToJson(Datum.Empty));
        Assert.Equal("[\"set\",[1,2]]", DatumJson.ToJson(Datum.Set([Atom.FromInteger(2), Atom.FromInteger(1)])));
        Assert.Equal("[\"uuid\",\"6da70abe-b446-47b0-9675-94d145fd4eda\"]",
            DatumJson.ToJson(Datum.Scalar(Atom.FromUuid(Guid.Parse("6da70abe-b446-47b0-9675-94d145fd4eda")))));
        Assert.Equal("[\"map\",[[\"a\",\"b\"]]]", DatumJson.ToJson(Datum.StringMap([KeyValuePair.Create("a", "b")])));
    }

    [Theory]
    [InlineData("[\"set\",[1,1]]", "duplicate")]
    [InlineData("[\"map\",[[\"a\",\"b\"]]]", "expected integer")]
    [InlineData("\"x\"", "expected integer")]
    [InlineData("[\"set\",[1,2,3]]", "3 element(s) where the column allows 0 to 2")]
    public void Malformed_values_are_errors_naming_the_place(string json, string expected)
    {
        var type = new ColumnType(new BaseType(AtomType.Integer), null, 0, 2);
        using var doc = JsonDocument.Parse(json);
        var e = Assert.Throws<OvsdbDataException>(() => DatumJson.Parse(doc.RootElement, type, "Table column"));
        Assert.StartsWith("Table column: ", e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Enum_and_range_constraints_are_checked()
    {
        var enumType = new ColumnType(new BaseType(AtomType.String) { Enum = [Atom.FromString("snat"), Atom.FromString("dnat")] }, null, 1, 1);
        using var bad = JsonDocument.Parse("\"masquerade\"");
        Assert.Contains("not one of the allowed values", Assert.Throws<OvsdbDataException>(() => DatumJson.Parse(bad.RootElement, enumType, "NAT type")).Message,
            StringComparison.Ordinal);
        var range = new ColumnType(new BaseType(AtomType.Integer) { MinInteger = 0, MaxInteger = 32767 }, null, 1, 1);
        using var big = JsonDocument.Parse("40000");
        Assert.Contains("not in the range 0 to 32767", Assert.Throws<OvsdbDataException>(() => DatumJson.Parse(big.RootElement, range, "priority")).Message,
            StringComparison.Ordinal);
    }

    private static bool RoundTrips(Datum datum, ColumnType type)
    {
        using var doc = JsonDocument.Parse(DatumJson.ToJson(datum));
        return DatumJson.Parse(doc.RootElement, type, "test").Equals(datum);
    }

    private static ColumnType Type(AtomType key, AtomType? value) =>
        new(new BaseType(key), value is { } v ? new BaseType(v) : null, 0, int.MaxValue);
}
