#!/usr/bin/env bash
# install-ovn.sh -- install what the tests need beside .NET, if it is not there yet: the real OVN they compare
# against, Debian 12's ovn-central (ovsdb-server, ovn-northd, ovn-nbctl, ovn-sbctl, ovsdb-client), ovn-host
# (ovn-controller) and openvswitch-switch (ovs-vswitchd, run on its userspace dummy datapath; no kernel module is
# needed); and for the live-port tests iproute2 (ip netns), ethtool and libpcap0.8 (SharpPcap). Uses sudo when not
# root. The first install of these packages sometimes stops with dpkg errors (../shared/reference/README.md); a
# second run finishes.
set -euo pipefail
if command -v ovn-northd >/dev/null && command -v ovsdb-server >/dev/null && command -v ovn-controller >/dev/null \
   && command -v ovs-vswitchd >/dev/null && [ -r /usr/share/ovn/ovn-sb.ovsschema ] \
   && command -v ip >/dev/null && command -v ethtool >/dev/null && ldconfig -p 2>/dev/null | grep -q 'libpcap\.so\.0\.8'; then
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
for attempt in 1 2 3; do
  if $sudo apt-get install -y -qq ovn-central ovn-host openvswitch-switch iproute2 ethtool libpcap0.8 >/dev/null; then break; fi
  echo "install-ovn.sh: apt-get install failed (attempt $attempt); retrying" >&2
  $sudo dpkg --configure -a || true
done
for tool in ovn-northd ovn-controller ovs-vswitchd ip; do
  command -v "$tool" >/dev/null || { echo "install-ovn.sh: $tool still missing" >&2; exit 1; }
done
ovn-northd --version | head -1
