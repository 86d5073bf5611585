#!/usr/bin/env bash
# install-ovn.sh -- install the real OVN the tests compare against: Debian 12's ovn-central (ovsdb-server,
# ovn-northd, ovn-nbctl, ovn-sbctl, ovsdb-client), if it is not there yet. Uses sudo when not root. The first
# install of these packages sometimes stops with dpkg errors (../shared/reference/README.md); a second run finishes.
set -euo pipefail
if command -v ovn-northd >/dev/null && command -v ovsdb-server >/dev/null && [ -r /usr/share/ovn/ovn-sb.ovsschema ]; then
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
for attempt in 1 2 3; do
  if $sudo apt-get install -y -qq ovn-central >/dev/null; then break; fi
  echo "install-ovn.sh: apt-get install failed (attempt $attempt); retrying" >&2
  $sudo dpkg --configure -a || true
done
command -v ovn-northd >/dev/null || { echo "install-ovn.sh: ovn-northd still missing" >&2; exit 1; }
ovn-northd --version | head -1
