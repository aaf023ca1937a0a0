#!/usr/bin/env bash
# install-deps.sh: install every Debian 12 package ringdns needs to build,
# test and benchmark (build tools, libraries, and the peer DNS tools used by
# tests and bench/). Non-interactive, no TTY needed, idempotent: when every
# package is already installed it does nothing (set FORCE=1 to run apt anyway).
set -euo pipefail

PKGS=(
  # build
  build-essential meson ninja-build pkg-config
  libdpdk-dev liburcu-dev libcriterion-dev libssl-dev libyaml-dev
  libmicrohttpd-dev  # the Prometheus metrics endpoint (control/metrics.c)
  libfstrm-dev libprotobuf-c-dev protobuf-c-compiler   # dnstap
  clang libclang-rt-14-dev llvm   # the libFuzzer targets (tests/fuzz/), llvm-cov
  # test and benchmark peers
  knot-dnssecutils   # kzonecheck
  knot-dnsutils      # kdig
  nsd                # nsd, nsd-checkzone
  bind9-utils        # named-checkzone, named-compilezone, dnssec-signzone
  bind9-dnsutils     # dig, dnstap-read
  fstrm-bin          # fstrm_capture: the dnstap socket reader in tests
  bind9              # named, the XoT peer of tests/e2e/test_xot.py
  openssl            # the test CA and certificates of tests/e2e/test_xot.py
  ldnsutils          # ldns-* tools
  dnsperf
  knot               # knotd, for differential tests
  python3-dnspython  # DNS messages in the end-to-end tests
  bird2              # BGP announcement (deploy/bird.conf), tests/e2e/test_bgp.py
  python3-prometheus-client  # parses /metrics in tests/e2e/test_metrics.py
  python3-yaml       # dnstap-read -y's output in the end-to-end tests
  python3-matplotlib # the plots of bench/run's report
  time procps iproute2 ethtool ca-certificates python3 git
  valgrind           # memcheck on the end-to-end tests (tests/meson.build valgrind-e2e-*)
)

missing=()
for p in "${PKGS[@]}"; do
  if [[ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)" != installed ]]; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 && "${FORCE:-0}" != 1 ]]; then
  echo "install-deps: all ${#PKGS[@]} packages already installed"
  exit 0
fi
echo "install-deps: installing: ${missing[*]:-${PKGS[*]}}"

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-deps: not root and no sudo" >&2; exit 1; }
  SUDO=(sudo -n)   # -n: never prompt (no TTY); fails if a password is needed
fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
  --no-install-recommends -o Dpkg::Options::=--force-confdef \
  -o Dpkg::Options::=--force-confold "${PKGS[@]}"
echo "install-deps: done"
