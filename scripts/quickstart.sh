#!/usr/bin/env bash
# quickstart.sh: the README's first command. Installs the dependencies,
# builds build/, checks every bundled example zone in zones/examples/ with
# `ringctl check-zone`, then runs ringdns in the foreground on those zones
# (zones/examples/ringdns.yaml: 127.0.0.1 and ::1, port 5300, control socket
# /tmp/ringdns.sock) until Ctrl-C.  QUICKSTART_NO_SERVE=1 stops after the
# checks.  Exits non-zero if a step fails or a zone is rejected.
set -euo pipefail
cd "$(dirname "$0")/.."

# install-deps.sh uses sudo itself when not root
./scripts/install-deps.sh

[[ -f build/build.ninja ]] || meson setup build
ninja -C build

rc=0
for zone in zones/examples/*.zone; do
  origin=$(basename "$zone" .zone).
  echo "--- ringctl check-zone $origin $zone"
  build/control/ringctl check-zone "$origin" "$zone" || rc=1
done
if [[ $rc -ne 0 ]]; then
  echo "quickstart: some example zones were rejected" >&2
  exit 1
fi
echo "quickstart: all example zones OK"
[[ "${QUICKSTART_NO_SERVE:-0}" == 1 ]] && exit 0

cat <<'TXT'

Starting ringdns on the example zones (127.0.0.1 and ::1, port 5300).
In another terminal, try:
  dig @127.0.0.1 -p 5300 www.example.com
  dig @127.0.0.1 -p 5300 NS example.com +short
  dig @127.0.0.1 -p 5300 host.sub.example.com   # a referral: NS in authority,
                                                 # glue in additional, no aa flag
  dig @127.0.0.1 -p 5300 +tcp www.example.net
  build/control/ringctl -s /tmp/ringdns.sock status   # also: zones, stats, reload, stop
Stop it with Ctrl-C (or ringctl -s /tmp/ringdns.sock stop).

TXT
exec build/dataplane/ringdns --config zones/examples/ringdns.yaml
