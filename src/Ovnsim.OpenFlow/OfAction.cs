using System.Globalization;
using System.Text;

namespace Ovnsim.OpenFlow;

/// <summary>
/// One OpenFlow action as Open vSwitch models it (lib/ofp-actions.h <c>struct ofpact</c>), for the actions
/// ovn-controller installs. <see cref="ToString"/> prints it as ovs-ofctl does (the <c>format_*</c> functions of
/// lib/ofp-actions.c).
/// </summary>
public abstract record OfAction
{
    /// <summary>Prints a list of actions as <c>ofpacts_format</c> does: comma-separated, "drop" when empty.</summary>
    public static string FormatList(IReadOnlyList<OfAction> actions) =>
        actions.Count == 0 ? "drop" : string.Join(",", actions);
}

/// <summary><c>resubmit(,TABLE)</c>.</summary>
/// <param name="Table">The table.</param>
public sealed record ResubmitAction(int Table) : OfAction
{
    /// <inheritdoc/>
    public override string ToString() => $"resubmit(,{Table})";
}

/// <summary><c>set_field:VALUE[/MASK]-&gt;FIELD</c> (values right-aligned in the field).</summary>
/// <param name="Field">The field.</param>
/// <param name="Value">The value.</param>
/// <param name="Mask">The bits written.</param>
public sealed record SetFieldAction(OvsField Field, UInt128 Value, UInt128 Mask) : OfAction
{
    /// <inheritdoc/>
    public override string ToString() => $"set_field:{Field.FormatValue(Value & Mask, Mask)}->{Field.Name}";
}

/// <summary><c>move:SRC-&gt;DST</c>.</summary>
/// <param name="Source">Bits read.</param>
/// <param name="Destination">Bits written.</param>
public sealed record MoveAction(OvsSubfield Source, OvsSubfield Destination) : OfAction
{
    /// <inheritdoc/>
    public override string ToString() => $"move:{Source}->{Destination}";
}

/// <summary>
/// <c>check_pkt_larger(LEN)->SUBFIELD</c>: the one-bit <paramref name="Destination"/> becomes 1 when the packet (its
/// whole frame) is longer than <paramref name="PacketLength"/> bytes, else 0.
/// </summary>
/// <param name="PacketLength">The length compared with.</param>
/// <param name="Destination">The bit written.</param>
public sealed record CheckPktLargerAction(int PacketLength, OvsSubfield Destination) : OfAction
{
    /// <inheritdoc/>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"check_pkt_larger({PacketLength})->{Destination}");
}

/// <summary><c>push:SUBFIELD</c>.</summary>
/// <param name="Subfield">The bits pushed.</param>
public sealed record PushAction(OvsSubfield Subfield) : OfAction
{
    /// <inheritdoc/>
    public override string ToString() => $"push:{Subfield}";
}

/// <summary><c>pop:SUBFIELD</c>.</summary>
/// <param name="Subfield">The bits popped into.</param>
public sealed record PopAction(OvsSubfield Subfield) : OfAction
{
    /// <inheritdoc/>
    public override string ToString() => $"pop:{Subfield}";
}

/// <summary><c>dec_ttl()</c> (ovn-controller's has no controller ids, which OVS encodes and prints this way).</summary>
public sealed record DecTtlAction : OfAction
{
    /// <inheritdoc/>
    public override string ToString() => "dec_ttl()";
}

/// <summary><c>ct_clear</c>.</summary>
public sealed record CtClearAction : OfAction
{
    /// <inheritdoc/>
    public override string ToString() => "ct_clear";
}

/// <summary><c>group:ID</c>.</summary>
/// <param name="GroupId">The group.</param>
public sealed record GroupAction(uint GroupId) : OfAction
{
    /// <inheritdoc/>
    public override string ToString() => $"group:{GroupId}";
}

/// <summary><c>output:PORT</c>.</summary>
/// <param name="Port">The OpenFlow port.</param>
public sealed record OutputPortAction(uint Port) : OfAction
{
    /// <inheritdoc/>
    public override string ToString() => $"output:{Port}";
}

/// <summary><c>pop_vlan</c> (OVS's strip_vlan as OpenFlow 1.1+ names it).</summary>
public sealed record PopVlanAction : OfAction
{
    /// <inheritdoc/>
    public override string ToString() => "pop_vlan";
}

/// <summary><c>push_vlan:ETHERTYPE</c>.</summary>
/// <param name="Ethertype">0x8100 (802.1Q) or 0x88a8 (802.1ad).</param>
public sealed record PushVlanAction(int Ethertype) : OfAction
{
    /// <inheritdoc/>
    public override string ToString() => $"push_vlan:0x{Ethertype:x}";
}

/// <summary>
/// ovn-controller's <c>set_vlan_vid</c> without pushing a tag; installed over OpenFlow 1.5 it comes back as a
/// set_field of vlan_vid with the present bit (0x1000) set.
/// </summary>
/// <param name="Vid">The VLAN id.</param>
public sealed record SetVlanVidAction(int Vid) : OfAction
{
    /// <inheritdoc/>
    public override string ToString() => $"set_field:{4096 + Vid}->vlan_vid";
}

/// <summary><c>conjunction(ID,CLAUSE/N)</c>, the clause printed from 1.</summary>
/// <param name="Id">The conjunction id.</param>
/// <param name="Clause">The clause, from 0.</param>
/// <param name="Clauses">The number of clauses.</param>
public sealed record ConjunctionAction(uint Id, int Clause, int Clauses) : OfAction
{
    /// <inheritdoc/>
    public override string ToString() => $"conjunction({Id},{Clause + 1}/{Clauses})";
}

/// <summary>
/// <c>learn(…)</c>: the flow it adds to <paramref name="Table"/> on each execution, as <c>learn_format</c> prints it
/// (a permanent flow of default priority; each spec already in ovs-ofctl's form, such as <c>OXM_OF_METADATA[]</c>,
/// <c>eth_type=0x800</c> or <c>load:0x1-&gt;NXM_NX_REG10[7]</c>).
/// </summary>
/// <param name="Table">The table learned into.</param>
/// <param name="DeleteLearned">Whether learned flows go when this one does.</param>
/// <param name="Cookie">The learned flows' cookie.</param>
/// <param name="Specs">The match and load specs.</param>
public sealed record LearnAction(int Table, bool DeleteLearned, ulong Cookie, IReadOnlyList<string> Specs) : OfAction
{
    /// <inheritdoc/>
    public override string ToString() =>
        $"learn(table={Table},{(DeleteLearned ? "delete_learned," : "")}cookie=0x{Cookie:x},{string.Join(",", Specs)})";
}

/// <summary><c>clone(ACTIONS)</c>.</summary>
/// <param name="Actions">The nested actions.</param>
public sealed record CloneAction(IReadOnlyList<OfAction> Actions) : OfAction
{
    /// <inheritdoc/>
    public override string ToString() => $"clone({string.Join(",", Actions)})";
}

/// <summary>The address part of a <c>nat</c> inside <c>ct</c> (<c>struct ofpact_nat</c>).</summary>
/// <param name="Kind">"src", "dst", or null for plain <c>nat</c> (reverse the connection's translation).</param>
/// <param name="Address">The address (IPv4 dotted quad or IPv6 text), or null.</param>
/// <param name="IsIpv6">Whether <paramref name="Address"/> is IPv6.</param>
/// <param name="PortLow">First port, 0 for none.</param>
/// <param name="PortHigh">Last port, 0 for none.</param>
public sealed record NatSpec(string? Kind, string? Address, bool IsIpv6, int PortLow, int PortHigh)
{
    /// <summary><c>format_NAT</c>.</summary>
    public override string ToString()
    {
        if (Kind is null)
        {
            return "nat";
        }

        var s = new StringBuilder("nat(").Append(Kind);
        if (Address is not null)
        {
            s.Append('=');
            s.Append(IsIpv6 && PortLow != 0 ? $"[{Address}]" : Address);
            if (PortLow != 0)
            {
                s.Append(':').Append(PortLow.ToString(CultureInfo.InvariantCulture));
                if (PortHigh != 0 && PortHigh != PortLow)
                {
                    s.Append('-').Append(PortHigh.ToString(CultureInfo.InvariantCulture));
                }
            }
        }

        return s.Append(')').ToString();
    }
}

/// <summary><c>ct(...)</c> (<c>struct ofpact_conntrack</c>).</summary>
/// <param name="Commit">Whether it commits.</param>
/// <param name="Table">The table it recirculates to, or null.</param>
/// <param name="Zone">The register bits holding the zone.</param>
/// <param name="Nat">The NAT it applies, or null.</param>
/// <param name="Exec">The actions inside <c>exec(…)</c>.</param>
public sealed record CtAction(bool Commit, int? Table, OvsSubfield Zone, NatSpec? Nat, IReadOnlyList<OfAction> Exec) : OfAction
{
    /// <summary><c>format_CT</c>: commit, table, zone, a leading nat outside exec, then exec.</summary>
    public override string ToString()
    {
        var s = new StringBuilder("ct(");
        if (Commit)
        {
            s.Append("commit,");
        }

        if (Table is { } t)
        {
            s.Append("table=").Append(t.ToString(CultureInfo.InvariantCulture)).Append(',');
        }

        s.Append("zone=").Append(Zone).Append(',');
        if (Nat is not null)
        {
            s.Append(Nat).Append(',');
        }

        if (Exec.Count > 0)
        {
            s.Append("exec(").Append(string.Join(",", Exec)).Append("),");
        }

        s.Length--;
        return s.Append(')').ToString();
    }
}

/// <summary>
/// <c>controller(userdata=…)</c> as ovn-controller writes it: reason "action", max_len 65535, controller id 0, and
/// userdata that is OVN's action header (the opcode, 4 bytes of padding) and the opcode's payload, often nested
/// actions in OpenFlow 1.5 wire format.
/// </summary>
/// <param name="Userdata">The bytes.</param>
/// <param name="Pause">Whether the packet is paused (continuation).</param>
public sealed record ControllerAction(byte[] Userdata, bool Pause = false) : OfAction
{
    /// <summary><c>format_CONTROLLER</c>.</summary>
    public override string ToString()
    {
        var s = new StringBuilder("controller(");
        if (Userdata.Length > 0)
        {
            s.Append("userdata=").Append(string.Join(".", Userdata.Select(b => b.ToString("x2", CultureInfo.InvariantCulture))))
                .Append(',');
        }

        if (Pause)
        {
            s.Append("pause,");
        }

        s.Length--;
        return s.Append(')').ToString();
    }

    /// <inheritdoc/>
    public bool Equals(ControllerAction? other) =>
        other is not null && Userdata.AsSpan().SequenceEqual(other.Userdata) && Pause == other.Pause;

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Userdata.Length, Pause);
}
