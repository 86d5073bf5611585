#!/usr/bin/env bash
# nb-golden.sh -- run an ovn-nbctl command file through the REAL OVN and save what it made, as golden files.
#
#   tools/nb-golden.sh COMMANDS.nbctl OUTDIR
#
# Needs Debian 12's ovn-central (ovsdb-server, ovn-nbctl, ovsdb-client; `apt-get install ovn-central`).
# Starts a private ovsdb-server on a fresh OVN_Northbound database in a temporary directory, runs every command
# line of the file with ovn-nbctl (one invocation per line, as ovnsim reads the file), then writes to OUTDIR:
#   nb.db            `ovsdb-client backup` (standalone format)
#   nb-clustered.db  the same data converted to the clustered format by ovsdb-tool
#   nbctl-show.txt   `ovn-nbctl show`
# No ovn-northd runs, so NB holds exactly what the commands wrote.
set -euo pipefail
cmds=$(realpath "$1"); out=$(realpath -m "$2")
mkdir -p "$out"
schema=/usr/share/ovn/ovn-nb.ovsschema
[ -r "$schema" ] || { echo "nb-golden.sh: $schema not found: apt-get install ovn-central" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'ovs-appctl -t "$tmp/nb.ctl" exit >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
ovsdb-tool create "$tmp/nb.db" "$schema"
ovsdb-server --detach --no-chdir --pidfile="$tmp/nb.pid" --log-file="$tmp/nb.log" \
  --remote=punix:"$tmp/nb.sock" --unixctl="$tmp/nb.ctl" "$tmp/nb.db"
db="unix:$tmp/nb.sock"
# Join backslash continuations, drop comments and blank lines: one ovn-nbctl invocation per logical line.
awk '{ if (sub(/\\$/, "")) { buf = buf $0; next } print buf $0; buf = "" }' "$cmds" |
  grep -v -E '^[[:space:]]*(#|$)' | sed -E 's/^[[:space:]]*(ovn-nbctl[[:space:]]+)?//' > "$tmp/lines"
while IFS= read -r line; do
  eval "ovn-nbctl --db=\"$db\" $line" >/dev/null
done < "$tmp/lines"
ovsdb-client backup "$db" OVN_Northbound > "$out/nb.db"
rm -f "$out/nb-clustered.db"
ovsdb-tool create-cluster "$out/nb-clustered.db" "$out/nb.db" unix:"$tmp/raft.sock"
ovn-nbctl --db="$db" show > "$out/nbctl-show.txt"
echo "nb-golden.sh: wrote $out/{nb.db,nb-clustered.db,nbctl-show.txt}"
