#!/usr/bin/env bash
# capture-golden.sh SEED_PCAP_DIR OUTDIR -- capture files made by Wireshark's own tools (Debian's tshark package:
# text2pcap, mergecap, editcap, tshark) from the seed's input packets, with what tshark reads from them, so the tests
# can hold ovnsim's pcap/pcapng reader to a real implementation:
#   seed-inputs.pcapng   the seven inputs, one pcapng interface per ingress interface (named provnet, vm2p by
#                        text2pcap -N), merged by mergecap in timestamp order
#   seed-inputs.tsv      tshark's reading of it: interface name, epoch time (ns), frame length, frame bytes
#   in-02-nsec.pcap      in-02-syn-2222.pcap rewritten by editcap as a nanosecond pcap
#   in-02.pcapng         the same as editcap's pcapng (one unnamed interface, microsecond resolution)
set -euo pipefail
src=${1:?usage: capture-golden.sh SEED_PCAP_DIR OUTDIR}
out=${2:?usage: capture-golden.sh SEED_PCAP_DIR OUTDIR}
command -v text2pcap >/dev/null || { echo "capture-golden.sh: needs Debian's tshark package (text2pcap, mergecap, editcap)" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"
# Each input as a text2pcap hex dump with its own timestamp, grouped by ingress interface.
tail -n +2 "$src/inputs.tsv" | while IFS=$'\t' read -r name iface file rest; do
  ts=$(tshark -r "$src/$file" -t ud -T fields -e _ws.col.Time 2>/dev/null | head -1 | tr ' ' 'T')   # ISO 8601, UTC
  { echo "$ts"; tshark -r "$src/$file" -x 2>/dev/null | sed -n 's/^\([0-9a-f]\{4\}\)  \(\([0-9a-f][0-9a-f] \)*[0-9a-f][0-9a-f]\).*/\1 \2/p'; echo; } >> "$tmp/$iface.txt"
done
for f in "$tmp"/*.txt; do
  iface=$(basename "$f" .txt)
  TZ=UTC text2pcap -q -N "$iface" -t ISO "$f" "$tmp/$iface.pcapng" 2>/dev/null
done
mergecap -F pcapng -w "$out/seed-inputs.pcapng" "$tmp"/*.pcapng
tshark -r "$out/seed-inputs.pcapng" -T fields -e frame.interface_name -e frame.time_epoch -e frame.len \
  > "$tmp/fields.tsv" 2>/dev/null
i=0
while IFS=$'\t' read -r name epoch len; do
  i=$((i+1))
  hex=$(tshark -r "$out/seed-inputs.pcapng" -Y "frame.number == $i" -x 2>/dev/null | sed -n 's/^[0-9a-f]\{4\}  \(\([0-9a-f][0-9a-f] \)*[0-9a-f][0-9a-f]\).*/\1/p' | tr -d ' \n')
  printf '%s\t%s\t%s\t%s\n' "$name" "$epoch" "$len" "$hex"
done < "$tmp/fields.tsv" > "$out/seed-inputs.tsv"
editcap -F nsecpcap "$src/in-02-syn-2222.pcap" "$out/in-02-nsec.pcap"
editcap -F pcapng "$src/in-02-syn-2222.pcap" "$out/in-02.pcapng"
tshark --version | head -1 > "$out/VERSION"
