#!/usr/bin/env bash
# classifier-golden.sh -- run the REAL `ovstest test-classifier benchmark` of Open vSwitch 3.1 for a set of workloads
# and save its hit and miss counts, which ClassifierWorkload must reproduce (the same rules and lookups).
#
#   tools/classifier-golden.sh OVS_SOURCE_DIR [OUTFILE]
#
# OVS_SOURCE_DIR is an Open vSwitch v3.1.0 source tree (Debian 12 ships 3.1.0; a `git archive v3.1.0` of the OVS
# repository will do: Debian's mirror here has the packaging but not the orig tarball). The script builds it
# (./boot.sh, ./configure, make; needs autoconf, automake, libtool, gcc, python3) unless tests/ovstest is there,
# then for each "RULES PRIORITIES SUBTABLES" line below runs
#   tests/ovstest test-classifier benchmark RULES PRIORITIES SUBTABLES 1 LOOKUPS
# and writes "RULES PRIORITIES SUBTABLES LOOKUPS: hits: H, misses: M" (the "Without wildcards" run; the run with
# wildcards prints the same counts) to OUTFILE (default tests/Ovnsim.Tests/Data/classifier/ovstest-benchmark.txt).
# The hit counts depend on every random draw the benchmark makes, the classifier's own included (its hash maps draw
# a basis when made and grown), so they pin the whole generator. Timings are left out: they are the machine's.
set -euo pipefail

src=${1:?usage: classifier-golden.sh OVS_SOURCE_DIR [OUTFILE]}
here=$(cd "$(dirname "$0")/.." && pwd)
out=${2:-$here/tests/Ovnsim.Tests/Data/classifier/ovstest-benchmark.txt}
lookups=200000

cd "$src"
if [[ ! -x tests/ovstest ]]; then
    [[ -x configure ]] || ./boot.sh
    [[ -f Makefile ]] || ./configure --disable-ssl
    make -j"$(nproc)"
fi

version=$(sed -n 's/^AC_INIT(openvswitch, *\([^,)]*\).*/\1/p' configure.ac)
{
    echo "# ovstest test-classifier benchmark RULES PRIORITIES SUBTABLES 1 LOOKUPS, Open vSwitch $version"
    echo "# made by tools/classifier-golden.sh; each line: RULES PRIORITIES SUBTABLES LOOKUPS: what the run without wildcards printed"
    while read -r rules priorities subtables; do
        counts=$(tests/ovstest test-classifier benchmark "$rules" "$priorities" "$subtables" 1 "$lookups" | grep -m1 '^hits:')
        echo "$rules $priorities $subtables $lookups: $counts"
    done <<'WORKLOADS'
1000 1000 30
10000 2 30
100 10 5
5000 100 50
2000 1 10
1000 1000 1
20000 1000 100
3000 7 13
WORKLOADS
} > "$out"
echo "wrote $out"
