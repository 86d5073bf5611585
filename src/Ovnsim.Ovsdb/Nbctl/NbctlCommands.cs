namespace Ovnsim.Ovsdb.Nbctl;

/// <summary>
/// The ovn-nbctl commands ovnsim runs, one partial file per group, each following ovn-nbctl 23.03
/// (<c>utilities/ovn-nbctl.c</c>) in what it writes and in what it refuses, with the same messages.
/// </summary>
internal static partial class NbctlCommands
{
    /// <summary>The command table: names, argument counts and options as <c>nbctl_commands[]</c> declares them.</summary>
    public static readonly IReadOnlyDictionary<string, NbctlCommandSyntax> Table = new NbctlCommandSyntax[]
    {
        new("init", 0, 0, "", "", (_, _) => { }),
        new("ls-add", 0, 1, "[SWITCH]", "--may-exist,--add-duplicate", LsAdd),
        new("lsp-add", 2, 4, "SWITCH PORT [PARENT] [TAG]", "--may-exist", LspAdd),
        new("lsp-set-addresses", 1, int.MaxValue, "PORT [ADDRESS]...", "", LspSetAddresses),
        new("lsp-set-type", 2, 2, "PORT TYPE", "", LspSetType),
        new("lsp-set-options", 1, int.MaxValue, "PORT KEY=VALUE [KEY=VALUE]...", "", LspSetOptions),
        new("lsp-set-port-security", 0, int.MaxValue, "PORT [ADDRS]...", "", LspSetPortSecurity),
        new("lsp-set-enabled", 2, 2, "PORT STATE", "", LspSetEnabled),
        new("lr-add", 0, 1, "[ROUTER]", "--may-exist,--add-duplicate", LrAdd),
        new("lrp-add", 4, int.MaxValue, "ROUTER PORT MAC NETWORK... [COLUMN[:KEY]=VALUE]...", "--may-exist", LrpAdd),
        new("lrp-set-gateway-chassis", 2, 3, "PORT CHASSIS [PRIORITY]", "--may-exist", LrpSetGatewayChassis),
        new("lr-route-add", 3, 4, "ROUTER PREFIX NEXTHOP [PORT]",
            "--may-exist,--ecmp,--ecmp-symmetric-reply,--policy=,--route-table=,--bfd?", LrRouteAdd),
        new("lr-nat-add", 4, 7, "ROUTER TYPE EXTERNAL_IP LOGICAL_IP [LOGICAL_PORT EXTERNAL_MAC] [EXTERNAL_PORT_RANGE]",
            "--may-exist,--stateless,--portrange,--add-route,--gateway-port=", LrNatAdd),
        new("lb-add", 3, 5, "LB VIP[:PORT] IP[:PORT]... [PROTOCOL] [ADDRESS_FAMILY]",
            "--may-exist,--add-duplicate,--reject,--event,--add-route,--template", LbAdd),
        new("lr-lb-add", 2, 2, "ROUTER LB", "--may-exist", LrLbAdd),
        new("ls-lb-add", 2, 2, "SWITCH LB", "--may-exist", LsLbAdd),
        new("set", 3, int.MaxValue, "TABLE RECORD COLUMN[:KEY]=VALUE...", "--if-exists", DbSet),
        new("add", 4, int.MaxValue, "TABLE RECORD COLUMN [KEY=]VALUE...", "--if-exists", DbAdd),
        new("remove", 4, int.MaxValue, "TABLE RECORD COLUMN KEY|VALUE|KEY=VALUE...", "--if-exists", DbRemove),
        new("clear", 3, int.MaxValue, "TABLE RECORD COLUMN...", "--if-exists", DbClear),
        new("create", 2, int.MaxValue, "TABLE COLUMN[:KEY]=VALUE...", "--id=", DbCreate),
    }.ToDictionary(c => c.Name, StringComparer.Ordinal);

    /// <summary>Commands that only print: they are valid ovn-nbctl but build nothing, so a command file rejects them.</summary>
    public static readonly IReadOnlySet<string> ReadOnly = new HashSet<string>(StringComparer.Ordinal)
    {
        "show", "sync", "ls-list", "lsp-list", "lsp-get-addresses", "lsp-get-port-security", "lsp-get-up",
        "lsp-get-enabled", "lsp-get-type", "lsp-get-options", "lr-list", "lrp-list", "lr-route-list", "lr-nat-list",
        "lb-list", "lr-lb-list", "ls-lb-list", "list", "find", "get", "wait-until", "lrp-get-gateway-chassis",
    };
}
