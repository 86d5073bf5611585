namespace Ovnsim.OpenFlow;

/// <summary>The OpenFlow tables ovn-controller 23.03 uses (controller/lflow.h <c>OFTABLE_*</c>).</summary>
public static class OfTable
{
    /// <summary>Physical-to-logical translation.</summary>
    public const int PhysicalToLogical = 0;

    /// <summary>Logical ingress table 0.</summary>
    public const int LogicalIngress = 8;

    /// <summary>Where the ingress pipeline's <c>output</c> goes (large-packet detection, then remote/local output).</summary>
    public const int OutputInit = 37;

    /// <summary>Large-packet processing.</summary>
    public const int OutputLargePktProcess = 38;

    /// <summary>Output to ports on other chassis (and multicast fan-out).</summary>
    public const int RemoteOutput = 39;

    /// <summary>Output to ports on this chassis.</summary>
    public const int LocalOutput = 40;

    /// <summary>Drops a packet going back out its input port unless loopback is allowed; clears the registers.</summary>
    public const int CheckLoopback = 41;

    /// <summary>Logical egress table 0.</summary>
    public const int LogicalEgress = 42;

    /// <summary>Where the egress pipeline's <c>output</c> goes.</summary>
    public const int SaveInport = 64;

    /// <summary>Logical-to-physical: delivery to the port.</summary>
    public const int LogToPhy = 65;

    /// <summary>get_arp/get_nd/lookup_*_ip: MAC bindings by port and IP.</summary>
    public const int MacBinding = 66;

    /// <summary>lookup_arp/lookup_nd.</summary>
    public const int MacLookup = 67;

    /// <summary>chk_lb_hairpin.</summary>
    public const int ChkLbHairpin = 68;

    /// <summary>chk_lb_hairpin_reply.</summary>
    public const int ChkLbHairpinReply = 69;

    /// <summary>ct_snat_to_vip.</summary>
    public const int CtSnatHairpin = 70;

    /// <summary>get_fdb.</summary>
    public const int GetFdb = 71;

    /// <summary>lookup_fdb.</summary>
    public const int LookupFdb = 72;

    /// <summary>check_in_port_sec.</summary>
    public const int ChkInPortSec = 73;

    /// <summary>check_out_port_sec.</summary>
    public const int ChkOutPortSec = 75;
}
