using Ovnsim.OpenFlow;

namespace Ovnsim.Engine;

/// <summary>An <see cref="OvsMatch"/> as a value and mask over <see cref="FlowKey"/>.</summary>
public static class FlowMatch
{
    /// <summary>The value and mask of <paramref name="m"/>.</summary>
    public static (FlowKey Value, FlowKey Mask) From(OvsMatch m)
    {
        var v = default(FlowKey);
        var k = default(FlowKey);
        void Put(KeyField f, UInt128 value, UInt128 mask)
        {
            if (mask != 0)
            {
                f.Set(ref v, value & mask, mask);
                f.Set(ref k, UInt128.MaxValue, mask);
            }
        }

        for (int i = 0; i < 16; i++)
        {
            Put(KeyFields.Reg(i), m.Regs[i].Value, m.Regs[i].Mask);
        }

        Put(KeyFields.Metadata, m.Metadata.Value, m.Metadata.Mask);
        if (m.ConjId != 0)
        {
            Put(KeyFields.ConjId, m.ConjId, uint.MaxValue);
        }

        if (m.InPort is { } port)
        {
            Put(KeyFields.InPort, port, uint.MaxValue);
        }

        Put(KeyFields.CtState, m.CtState.Value, m.CtState.Mask);
        Put(KeyFields.CtMark, m.CtMark.Value, m.CtMark.Mask);
        Put(KeyFields.CtLabel, m.CtLabel.Value, m.CtLabel.Mask);
        Put(KeyFields.PktMark, m.PktMark.Value, m.PktMark.Mask);
        Put(KeyFields.VlanTci, m.VlanTci.Value, m.VlanTci.Mask);
        Put(KeyFields.DlSrc, m.DlSrc.Value, m.DlSrc.Mask);
        Put(KeyFields.DlDst, m.DlDst.Value, m.DlDst.Mask);
        if (m.DlType is { } type)
        {
            Put(KeyFields.DlType, type, 0xffff);
        }

        Put(KeyFields.NwSrc, m.NwSrc.Value, m.NwSrc.Mask);
        Put(KeyFields.NwDst, m.NwDst.Value, m.NwDst.Mask);
        Put(KeyFields.Ipv6Src, m.Ipv6Src.Value, m.Ipv6Src.Mask);
        Put(KeyFields.Ipv6Dst, m.Ipv6Dst.Value, m.Ipv6Dst.Mask);
        Put(KeyFields.Ipv6Label, m.Ipv6Label.Value, m.Ipv6Label.Mask);
        if (m.NwProto is { } proto)
        {
            Put(KeyFields.NwProto, proto, 0xff);
        }

        Put(KeyFields.ArpSha, m.ArpSha.Value, m.ArpSha.Mask);
        Put(KeyFields.ArpTha, m.ArpTha.Value, m.ArpTha.Mask);
        Put(KeyFields.NwTos, m.NwTos.Value, m.NwTos.Mask);
        if (m.NwTtl is { } ttl)
        {
            Put(KeyFields.NwTtl, ttl, 0xff);
        }

        Put(KeyFields.NwFrag, m.NwFrag.Value, m.NwFrag.Mask);
        Put(KeyFields.TpSrc, m.TpSrc.Value, m.TpSrc.Mask);
        Put(KeyFields.TpDst, m.TpDst.Value, m.TpDst.Mask);
        Put(KeyFields.NdTarget, m.NdTarget.Value, m.NdTarget.Mask);
        Put(KeyFields.TcpFlags, m.TcpFlags.Value, m.TcpFlags.Mask);
        return (v, k);
    }
}
