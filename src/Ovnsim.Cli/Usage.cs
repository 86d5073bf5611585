namespace Ovnsim.Cli;

/// <summary>The help text.</summary>
internal static class Usage
{
    public const string Text = """
        ovnsim: a software datapath simulator for OVN (NB database -> logical flows -> OpenFlow -> packets)

        usage: ovnsim COMMAND [OPTIONS]

        commands:
          demo [--out DIR]        run the built-in seed scenario (Neutron floating-IP port forwarding): the
                                  topology, its flows, then its seven packets step by step (packet in, logical
                                  path, packets out, conntrack); output pcaps in DIR (./ovnsim-demo-output)
          nb show --nb FILE       print what 'ovn-nbctl show' prints for an NB database
          lflows --nb FILE [--sb FILE]
                                  compile the NB database as ovn-northd 23.03 does and print what
                                  'ovn-sbctl dump-flows' prints (--sb: keep that SB's tunnel keys and UUIDs)
          lflows --sb FILE        print an SB database's own logical flows as 'ovn-sbctl dump-flows' does
          openflow (--sb FILE | --nb FILE [--sb FILE]) [--ovs FILE] [--no-stats] [--names]
                                  the flows ovn-controller 23.03 installs on br-int for one chassis (logical,
                                  physical, hairpin, port security, MAC bindings), as 'ovs-ofctl dump-flows
                                  br-int' prints them (sorted by table, priority, match; --names: ports by
                                  name, as 'ovs-ofctl --names' shows them)
          groups (--sb FILE | --nb FILE [--sb FILE]) [--ovs FILE]
                                  the select groups of that translation, as 'ovs-ofctl dump-groups br-int'
          replay (--nb FILE | --sb FILE) [--ovs FILE] --in [PORT=]FILE [--in ...] --out DIR
                 [--pcapng FILE] [--expect DIR] [--no-megaflows] [--garps | --garps-before SECONDS]
                                  inject the packets of pcap/pcapng files in timestamp order across files
                                  (streamed), with conntrack, MAC bindings and held packets carried along. PORT
                                  is a logical port, an --ovs interface name or a Neutron port name; a pcapng
                                  without PORT= names each packet's port by its interface name. Writes one pcap
                                  per port with what left it, conntrack.txt, mac-bindings.txt and fdb.txt, and prints
                                  packets in/out/dropped per port and drops by logical stage and reason.
                                  --pcapng: everything, in and out, in one file (an interface per port)
                                  --expect: compare each port's frames with DIR's PORT.pcap[ng] (or
                                    all-PORT-tx.pcap, tx-PORT.pcap), packet by packet; exit 3 on differences
                                  --no-megaflows: translate every packet, no cache
                                  --garps: ovn-controller's start announcements (NAT addresses, then VIFs on
                                    localnet switches) from the first packet on (+0, 2, 6, 14, 30 s);
                                    --garps-before S: as if ovn-controller had
                                    started S seconds before the first packet
          conntrack (--nb FILE | --sb FILE) [--ovs FILE] --in [PORT=]FILE [...] [--zone N]
                                  replay as above and print the connection tracker as
                                  'ovs-appctl dpctl/dump-conntrack [zone=N]' prints it
          run (--nb FILE | --sb FILE) [--ovs FILE] --port PORT=tap:NAME|if:NAME [--port ...]
              [--no-megaflows] [--garps]
                                  attach logical ports to Linux TAP devices (created; needs CAP_NET_ADMIN) or
                                  to existing interfaces (libpcap; Debian's libpcap0.8) and forward between
                                  them through the simulated topology until Ctrl-C or SIGTERM, then print
                                  the summary replay prints (--garps: ovn-controller's gratuitous ARPs)
          bench classifier [--rules N] [--priorities P] [--subtables S] [--lookups L]
                                  OVS's 'test-classifier benchmark' workload on ovnsim's classifier
          db summary --db FILE    load any OVSDB file (NB, SB, Open_vSwitch) and list its tables and row counts

        database options:
          --nb FILE    OVN_Northbound: a standalone or clustered database file, or a file of ovn-nbctl commands
          --sb FILE    OVN_Southbound database file
          --ovs FILE   Open_vSwitch database file of one chassis (its system-id names the chassis, its
                       interfaces' external_ids:iface-id the local ports, br-int's ct-zone-* the zones);
                       without it, the chassis is the one the SB binds ports to, with OpenFlow ports 1, 2, …
                       for its localnet ports, then its VIFs, each in name order
          --db FILE    any database file

        exit status: 0 done, 1 bad input (the message names the file and where), 2 bad command line,
                     3 replay --expect found differences (what the packets did is otherwise no error)

        """;
}
