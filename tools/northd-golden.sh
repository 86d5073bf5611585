#!/usr/bin/env bash
# northd-golden.sh -- build a topology from an ovn-nbctl command file in the REAL OVN and save what ovn-northd made.
#
#   tools/northd-golden.sh COMMANDS.nbctl OUTDIR
#   tools/northd-golden.sh --batch DIR        # every DIR/*/commands.nbctl, output next to it, one sandbox
#   tools/northd-golden.sh --controller COMMANDS.nbctl OUTDIR
#   tools/northd-golden.sh --controller --batch DIR
#
# Needs Debian 12's ovn-central (ovsdb-server, ovn-northd, ovn-nbctl, ovn-sbctl, ovsdb-client).
# In a temporary directory it starts an NB and an SB ovsdb-server and ovn-northd, as ../shared/reference/README.md
# describes. Each chassis the commands name (Gateway_Chassis chassis_name, HA_Chassis chassis_name,
# options:requested-chassis), or hv1 if none, is registered in SB with the other_config feature flags a real 23.03
# ovn-controller writes (copied from the reference run's sb-chassis.txt): northd turns features off for a chassis
# that lacks them. Then it runs each command line with ovn-nbctl, waits for northd (--wait=sb sync) and writes:
#   nb.db           `ovsdb-client backup` of NB (standalone format)
#   sb.db           `ovsdb-client backup` of SB
#   lflows.txt      `ovn-sbctl dump-flows`
# A line "#! chassis-other-config KEY=VALUE ..." in the command file overrides those keys of the chassis' other_config
# (to see northd with a chassis that lacks a feature, e.g. ct-no-masked-label=false).
# In batch mode the sandbox is reused: between topologies every NB row is deleted and northd empties SB.
#
# --controller also runs the hypervisor hv1 as ../shared/reference/README.md describes (needs Debian's ovn-host and
# openvswitch-switch): an Open_vSwitch ovsdb-server, ovs-vswitchd on the userspace dummy datapath, br-int
# (fail-mode=secure) and br-phys (physnet1), and a real ovn-controller, started once the commands have built the
# topology, which registers hv1 itself. Every VIF switch
# port (type "") gets a dummy interface vif1, vif2, … in NB order with external-ids:iface-id. After
# `ovn-nbctl --wait=hv sync` it also writes:
#   conf.db              `ovsdb-client backup` of the hypervisor's Open_vSwitch database
#   openflow-nostats.txt `ovs-ofctl -O OpenFlow15 --no-stats dump-flows br-int`
#   groups.txt           `ovs-ofctl -O OpenFlow15 dump-groups br-int`
# Each topology then gets a sandbox of its own.
#
# Packets: when a packets.tsv lies next to the command file (columns step, interface, frame as hex, what), every
# VIF and a dummy uplink "provnet" on br-phys record what they send (options:tx_pcap). After the gratuitous ARPs
# ovn-controller sends for NAT addresses at start (about 0, 2, 6, 14 and 30 s) are over, each frame is injected
# with `ovs-appctl netdev-dummy/receive` in order, and after each step steps.txt records the size of every
# interface's tx pcap (what the step sent is the bytes added), `dpctl/dump-conntrack` and the SB MAC_Binding rows:
#   steps.txt            "step NAME", then "at MS" (when the frame went in, in ms after the first one), "tx IFACE
#                        BYTES", "conntrack LINE", "mac-binding PORT,IP,MAC" and "fdb MAC,DP_KEY,PORT_KEY" lines
#   tx-IFACE.pcap        everything IFACE sent, from start to the last step
#   openflow-after.txt   br-int's flows after the last step (as openflow-nostats.txt), and sb-after.db the SB then
# GARP_WAIT=SECONDS (default 35) sets that wait: a few seconds do for a topology without NAT addresses.
set -euo pipefail
controller=false
if [ "${1:-}" = --controller ]; then controller=true; shift; fi
tools="ovsdb-server ovsdb-tool ovsdb-client ovn-northd ovn-nbctl ovn-sbctl"
$controller && tools="$tools ovs-vswitchd ovs-vsctl ovs-ofctl ovn-controller"
for tool in $tools; do
  command -v "$tool" >/dev/null || { echo "northd-golden.sh: $tool not found: apt-get install ovn-central" >&2; exit 1; }
done
nb_schema=/usr/share/ovn/ovn-nb.ovsschema sb_schema=/usr/share/ovn/ovn-sb.ovsschema

tmp=""
cleanup() {
  [ -n "$tmp" ] || return 0
  [ -f "$tmp/controller.pid" ] && OVN_RUNDIR="$tmp" ovs-appctl -t "$tmp/ovn-controller.$(cat "$tmp/controller.pid").ctl" exit >/dev/null 2>&1
  for ctl in vswitchd ovs northd nb sb; do ovs-appctl -t "$tmp/$ctl.ctl" exit >/dev/null 2>&1 || true; done
  rm -rf "$tmp"
  tmp=""
}
trap cleanup EXIT

start_sandbox() {
tmp=$(mktemp -d)
ovsdb-tool create "$tmp/nb.db" "$nb_schema"
ovsdb-tool create "$tmp/sb.db" "$sb_schema"
for db in nb sb; do
  ovsdb-server --detach --no-chdir --pidfile="$tmp/$db.pid" --log-file="$tmp/$db.log" \
    --remote=punix:"$tmp/$db.sock" --unixctl="$tmp/$db.ctl" "$tmp/$db.db"
done
nb="unix:$tmp/nb.sock" sb="unix:$tmp/sb.sock"
ovn-nbctl --db="$nb" --no-wait init
ovn-sbctl --db="$sb" init
ovn-northd --detach --no-chdir --pidfile="$tmp/northd.pid" --log-file="$tmp/northd.log" \
  --unixctl="$tmp/northd.ctl" --ovnnb-db="$nb" --ovnsb-db="$sb"
n_chassis=0
}

start_hypervisor() {  # hv1: Open_vSwitch database, ovs-vswitchd (dummy datapath), br-int, br-phys, ovn-controller
  ovsdb-tool create "$tmp/conf.db" /usr/share/openvswitch/vswitch.ovsschema
  ovsdb-server --detach --no-chdir --pidfile="$tmp/ovs.pid" --log-file="$tmp/ovs.log" \
    --remote=punix:"$tmp/ovs.sock" --unixctl="$tmp/ovs.ctl" "$tmp/conf.db"
  ovs="unix:$tmp/ovs.sock"
  ovs-vsctl --db="$ovs" --no-wait init
  # ovs-vswitchd puts br-int.mgmt in its run directory, where ovn-controller looks for it.
  OVS_RUNDIR="$tmp" ovs-vswitchd --detach --no-chdir --pidfile="$tmp/vswitchd.pid" --log-file="$tmp/vswitchd.log" \
    --unixctl="$tmp/vswitchd.ctl" --enable-dummy=override --disable-system --disable-system-route "$ovs"
  ovs-vsctl --db="$ovs" set Open_vSwitch . external-ids:system-id=hv1 external-ids:hostname=hv1 \
    external-ids:ovn-remote="$sb" external-ids:ovn-encap-type=geneve external-ids:ovn-encap-ip=192.168.0.1 \
    external-ids:ovn-bridge-mappings=physnet1:br-phys \
    -- add-br br-int -- set Bridge br-int fail-mode=secure other-config:disable-in-band=true \
    -- add-br br-phys
  n_chassis=1  # hv1 registers itself
  OVS_RUNDIR="$tmp" OVN_RUNDIR="$tmp" ovn-controller --detach --no-chdir --pidfile="$tmp/controller.pid" \
    --log-file="$tmp/controller.log" "$ovs"
  for _ in $(seq 100); do ovn-sbctl --db="$sb" --bare --columns=name find Chassis name=hv1 | grep -q . && break; sleep 0.1; done
}

# What ovn-controller 23.03.1 (Debian 12) writes into its Chassis row's other_config.
chassis_config='{ct-no-masked-label="true", datapath-type=system, iface-types="afxdp,afxdp-nonpmd,bareudp,dummy,dummy-internal,dummy-pmd,erspan,geneve,gre,gtpu,internal,ip6erspan,ip6gre,lisp,patch,stt,system,tap,vxlan", is-interconn="false", mac-binding-timestamp="true", ovn-bridge-mappings="physnet1:br-phys", ovn-chassis-mac-mappings="", ovn-cms-options="", ovn-ct-lb-related="true", ovn-enable-lflow-cache="true", ovn-limit-lflow-cache="", ovn-memlimit-lflow-cache-kb="", ovn-monitor-all="false", ovn-trim-limit-lflow-cache="", ovn-trim-timeout-ms="", ovn-trim-wmark-perc-lflow-cache="", port-up-notif="true"}'
n_chassis=0
add_chassis() {  # NAME [KEY=VALUE...]: register it once, with an encap IP of its own
  local name=$1; shift
  ovn-sbctl --db="$sb" --columns=name --bare find Chassis name="$name" | grep -q . && return
  n_chassis=$((n_chassis + 1))
  ovn-sbctl --db="$sb" chassis-add "$name" geneve "192.168.0.$n_chassis" \
    -- set Chassis "$name" hostname="$name" other_config="$chassis_config"
  local kv
  for kv in "$@"; do ovn-sbctl --db="$sb" set Chassis "$name" "other_config:$kv"; done
}

run_commands() {  # COMMANDS: one ovn-nbctl invocation per logical line (backslash continuations joined)
  awk '{ if (sub(/\\$/, "")) { buf = buf $0; next } print buf $0; buf = "" }' "$1" |
    grep -v -E '^[[:space:]]*(#|$)' | sed -E 's/^[[:space:]]*(ovn-nbctl[[:space:]]+)?//' > "$tmp/lines"
  while IFS= read -r line; do
    eval "ovn-nbctl --db=\"$nb\" --no-wait $line" >/dev/null
  done < "$tmp/lines"
}

golden() {  # COMMANDS OUTDIR
  local cmds=$1 out=$2
  mkdir -p "$out"
  # Start from an empty NB (deleting the root rows garbage-collects the rest) and without chassis.
  ovsdb-client transact "$nb" '["OVN_Northbound",
    {"op":"delete","table":"Logical_Switch","where":[]},
    {"op":"delete","table":"Logical_Router","where":[]},
    {"op":"delete","table":"Load_Balancer","where":[]},
    {"op":"update","table":"NB_Global","where":[],"row":{"options":["map",[]]}}]' >/dev/null
  $controller || ovsdb-client transact "$sb" '["OVN_Southbound",
    {"op":"delete","table":"Chassis","where":[]},
    {"op":"delete","table":"Encap","where":[]}]' >/dev/null
  ovn-nbctl --db="$nb" --timeout=30 --wait=sb sync
  run_commands "$cmds"
  # The hypervisor starts once the topology is in place, so that ovn-controller sees it whole from its first
  # iteration, as ovnsim models a chassis whose ovn-controller starts (or restarts) with the databases as they are.
  # Started before, it saw the routers appear one by one: a NAT address it began announcing before a second
  # router joined the switch was never written as that router's MAC binding (send_garp_locally runs once per
  # announcement), an artefact of the order of the command file.
  if $controller; then ovn-nbctl --db="$nb" --timeout=30 --wait=sb sync; start_hypervisor; fi
  local names
  names=$( { ovn-nbctl --db="$nb" --bare --columns=chassis_name list Gateway_Chassis
             ovn-nbctl --db="$nb" --bare --columns=options list Logical_Switch_Port |
               grep -o 'requested-chassis=[^ ,}]*' | cut -d= -f2 | tr -d '"'; } | sort -u | grep . || echo hv1)
  local overrides
  overrides=$(sed -n 's/^#! chassis-other-config //p' "$cmds")
  # shellcheck disable=SC2086 # the overrides are KEY=VALUE words
  for name in $names; do add_chassis "$name" $overrides; done
  if $controller; then
    local i=0 port packets
    packets="$(dirname "$cmds")/packets.tsv"
    [ -f "$packets" ] || packets=""
    for port in $(ovn-nbctl --db="$nb" --bare --columns=name find Logical_Switch_Port type='""' | sort -u); do
      i=$((i + 1))
      ovs-vsctl --db="$ovs" add-port br-int "vif$i" -- set Interface "vif$i" type=dummy external-ids:iface-id="$port" \
        ${packets:+options:tx_pcap="$tmp/tx-vif$i.pcap"}
    done
    if [ -n "$packets" ]; then
      ovs-vsctl --db="$ovs" add-port br-phys provnet -- set Interface provnet type=dummy options:tx_pcap="$tmp/tx-provnet.pcap"
    fi
    ovn-nbctl --db="$nb" --timeout=60 --wait=hv sync
    # A full recompute, so that br-int is the steady state of the databases rather than of the order in which
    # ovn-controller happened to see the changes (its incremental handlers miss, for example, the hairpin flows
    # of a balancer whose switch became local through a router's patch port).
    OVN_RUNDIR="$tmp" ovs-appctl -t "$tmp/ovn-controller.$(cat "$tmp/controller.pid").ctl" recompute
    ovn-nbctl --db="$nb" --timeout=60 --wait=hv sync
  else
    ovn-nbctl --db="$nb" --timeout=30 --wait=sb sync
  fi
  ovsdb-client backup "$nb" OVN_Northbound > "$out/nb.db"
  ovsdb-client backup "$sb" OVN_Southbound > "$out/sb.db"
  ovn-sbctl --db="$sb" dump-flows > "$out/lflows.txt"
  if $controller; then
    ovsdb-client backup "$ovs" Open_vSwitch > "$out/conf.db"
    OVS_RUNDIR="$tmp" ovs-ofctl -O OpenFlow15 --no-stats dump-flows br-int > "$out/openflow-nostats.txt"
    OVS_RUNDIR="$tmp" ovs-ofctl -O OpenFlow15 dump-groups br-int > "$out/groups.txt"
    if [ -n "$packets" ]; then run_packets "$packets" "$out"; fi
  fi
}

run_packets() {  # PACKETS OUTDIR: inject each step's frame, record what came out and the state after it
  local packets=$1 out=$2 ifaces name iface frame
  ifaces=$(ovs-vsctl --db="$ovs" --bare --columns=name find Interface type=dummy | sort)
  # The gratuitous ARPs for NAT addresses go out until about 30 s after ovn-controller started.
  sleep "${GARP_WAIT:-35}"
  local first=""
  state() {
    local i
    echo "step $1"
    [ -n "${2:-}" ] && echo "at $2"
    for i in $ifaces; do echo "tx $i $(stat -c %s "$tmp/tx-$i.pcap" 2>/dev/null || echo 0)"; done
    ovs-appctl -t "$tmp/vswitchd.ctl" dpctl/dump-conntrack | sort | sed 's/^/conntrack /'
    ovn-sbctl --db="$sb" --bare --format=csv --no-headings --columns=logical_port,ip,mac list MAC_Binding | sort \
      | sed 's/^/mac-binding /'
    ovn-sbctl --db="$sb" --bare --format=csv --no-headings --columns=mac,dp_key,port_key list FDB | sort | sed 's/^/fdb /'
  }
  state start > "$out/steps.txt"
  while IFS=$'\t' read -r name iface frame _; do
    [ "$name" = step ] && continue
    local now; now=$(date +%s%3N)
    first=${first:-$now}
    ovs-appctl -t "$tmp/vswitchd.ctl" netdev-dummy/receive "$iface" "$frame" >/dev/null
    # Packets held for ARP or ND go out once ovn-controller has written the MAC binding and recomputed.
    sleep 1
    ovn-nbctl --db="$nb" --timeout=60 --wait=hv sync
    sleep 1
    state "$name" $((now - first)) >> "$out/steps.txt"
  done < "$packets"
  for iface in $ifaces; do cp "$tmp/tx-$iface.pcap" "$out/tx-$iface.pcap"; done
  # br-int and SB after the steps: with what ovn-controller learnt (MAC bindings, FDB) and installed for it.
  OVS_RUNDIR="$tmp" ovs-ofctl -O OpenFlow15 --no-stats dump-flows br-int > "$out/openflow-after.txt"
  ovsdb-client backup "$sb" OVN_Southbound > "$out/sb-after.db"
}

if [ "${1:-}" = --batch ]; then
  $controller || start_sandbox
  for cmds in "$2"/*/commands.nbctl; do
    if $controller; then start_sandbox; fi
    golden "$(realpath "$cmds")" "$(realpath "$(dirname "$cmds")")"
    if $controller; then cleanup; fi
  done
  echo "northd-golden.sh: wrote $(ls "$2"/*/commands.nbctl | wc -l) topologies under $2"
else
  cmds=$(realpath "$1"); out=$(realpath -m "$2")
  start_sandbox
  golden "$cmds" "$out"
  cp "$cmds" "$out/commands.nbctl" 2>/dev/null || true
  echo "northd-golden.sh: wrote $out/{nb.db,sb.db,lflows.txt}"
fi
