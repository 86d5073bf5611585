#!/usr/bin/env bash
# northd-golden.sh -- build a topology from an ovn-nbctl command file in the REAL OVN and save what ovn-northd made.
#
#   tools/northd-golden.sh COMMANDS.nbctl OUTDIR
#   tools/northd-golden.sh --batch DIR        # every DIR/*/commands.nbctl, output next to it, one sandbox
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
set -euo pipefail
for tool in ovsdb-server ovsdb-tool ovsdb-client ovn-northd ovn-nbctl ovn-sbctl; do
  command -v "$tool" >/dev/null || { echo "northd-golden.sh: $tool not found: apt-get install ovn-central" >&2; exit 1; }
done
nb_schema=/usr/share/ovn/ovn-nb.ovsschema sb_schema=/usr/share/ovn/ovn-sb.ovsschema

tmp=$(mktemp -d)
cleanup() {
  for ctl in northd nb sb; do ovs-appctl -t "$tmp/$ctl.ctl" exit >/dev/null 2>&1 || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
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
  ovsdb-client transact "$sb" '["OVN_Southbound",
    {"op":"delete","table":"Chassis","where":[]},
    {"op":"delete","table":"Encap","where":[]}]' >/dev/null
  ovn-nbctl --db="$nb" --timeout=30 --wait=sb sync
  run_commands "$cmds"
  local names
  names=$( { ovn-nbctl --db="$nb" --bare --columns=chassis_name list Gateway_Chassis
             ovn-nbctl --db="$nb" --bare --columns=options list Logical_Switch_Port |
               grep -o 'requested-chassis=[^ ,}]*' | cut -d= -f2 | tr -d '"'; } | sort -u | grep . || echo hv1)
  local overrides
  overrides=$(sed -n 's/^#! chassis-other-config //p' "$cmds")
  # shellcheck disable=SC2086 # the overrides are KEY=VALUE words
  for name in $names; do add_chassis "$name" $overrides; done
  ovn-nbctl --db="$nb" --timeout=30 --wait=sb sync
  ovsdb-client backup "$nb" OVN_Northbound > "$out/nb.db"
  ovsdb-client backup "$sb" OVN_Southbound > "$out/sb.db"
  ovn-sbctl --db="$sb" dump-flows > "$out/lflows.txt"
}

if [ "${1:-}" = --batch ]; then
  for cmds in "$2"/*/commands.nbctl; do golden "$cmds" "$(dirname "$cmds")"; done
  echo "northd-golden.sh: wrote $(ls "$2"/*/commands.nbctl | wc -l) topologies under $2"
else
  cmds=$(realpath "$1"); out=$(realpath -m "$2")
  golden "$cmds" "$out"
  cp "$cmds" "$out/commands.nbctl" 2>/dev/null || true
  echo "northd-golden.sh: wrote $out/{nb.db,sb.db,lflows.txt}"
fi
