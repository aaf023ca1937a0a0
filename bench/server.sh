#!/usr/bin/env bash
# bench/server.sh: ringdns (DPDK and kernel sockets) vs knotd (sockets and
# XDP) vs nsd, side by side, one worker each on the same vCPU, the load
# generator (bench/dpdk_gen on net_af_xdp) on the other vCPU, over a veth
# pair between two network namespaces this script creates (198.18.0.0/15).
# Measures (bench/README.md, "server: ringdns vs knotd vs nsd"):
#   throughput  highest fixed-rate step answered >= 99 %, and CPU seconds
#               per million answers at FIXED_QPS (server processes + the
#               server-side NAPI thread); for the busy-polling DPDK server
#               its own busy share of the poll cycles and cycles per answer
#   startup     exec to first SOA answer, peak RSS (VmHWM), for SIZES
#   latency     dnsperf at each fixed rate of LAT_RATES for LAT_S seconds:
#               queries/s answered, lost, latency percentiles (its -v lines)
#   reload      reload command to the new serial answered, under RELOAD_QPS
#               load; unanswered % in that window; peak RSS in that window
# Every measurement RUNS times, servers interleaved; medians go to
# $RESULTS_DIR/server-RESULTS.md (default bench/out; generated zones and
# query files stay cached in bench/out). A line "server.sh: step: PART
# SERVER run R [size N]" starts each server's turn (bench/run counts
# them for its progress line). Needs root, 2+ vCPUs, ip, ethtool,
# knotd/knotc (knot), nsd/nsd-control (nsd), dnsperf, /usr/bin/python3, and
# ringdns built with DPDK in $RINGDNS_BUILD (bench/dpdk_gen is the load
# generator: kxdpgun's XDP program, Knot 3.2's, is refused by the verifier of
# Linux 6.18, "cannot use helper bpf_xdp_adjust_meta").
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

QUICK=${QUICK:-0}
if [[ $QUICK == 1 ]]; then
  : "${SIZES:=100000}" "${RUNS:=1}" "${TP_SIZE:=100000}" "${RELOAD_SIZE:=100000}"
  : "${STEP_S:=2}" "${FIXED_S:=2}" "${STEPS:=50000 100000 200000}" "${STEP_RETRIES:=0}" "${START_TIMEOUT:=120}"
  : "${QUERIES:=50000}"
  : "${LAT_RATES:=10000 40000}" "${LAT_S:=2}"
fi
SIZES=${SIZES:-"1000000 10000000"}    # zone sizes (names) for startup / RSS
RUNS=${RUNS:-3}                       # repeats of every measurement
RINGDNS_BUILD=${RINGDNS_BUILD:-build} # meson build dir with ringdns, ringctl
TP_SIZE=${TP_SIZE:-100000}            # zone size for throughput
RELOAD_SIZE=${RELOAD_SIZE:-1000000}   # zone size for reload
STEPS=${STEPS:-"25000 50000 75000 100000 125000 150000 175000 200000 225000 250000 300000 350000 400000 500000"}
STEP_S=${STEP_S:-5}                   # seconds per step
STEP_RETRIES=${STEP_RETRIES:-1}       # a failed step is tried again this often
FIXED_QPS=${FIXED_QPS:-50000}         # rate for CPU per million answers
FIXED_S=${FIXED_S:-10}
RELOAD_QPS=${RELOAD_QPS:-30000}       # background load during a reload
LAT_RATES=${LAT_RATES:-"10000 25000 50000 75000 100000"} # dnsperf's fixed rates (q/s)
LAT_S=${LAT_S:-5}                     # seconds per rate
LAT_CLIENTS=${LAT_CLIENTS:-16}        # dnsperf -c (source ports)
QUERIES=${QUERIES:-200000}            # lines in a query file
SEED=${SEED:-1}
PARTS=${PARTS:-"throughput latency startup reload"}
SERVERS=${SERVERS:-"ringdns-dpdk ringdns knotd knotd-xdp nsd"}
ZONE=${ZONE:-plain}                   # plain: server_gen.py's zone; tld: bench/tld.sh's signed TLD
case $ZONE in
  plain) ZNAME=bench.test. GEN_DO=0 ;;
  tld) ZNAME=bench-tld. GEN_DO=70 ;;     # DO on 70 % of the queries (tld_gen.py's mix)
  *) echo "server.sh: ZONE is plain or tld, not $ZONE" >&2; exit 2 ;;
esac
AF=${AF:-xdp}                         # ringdns-dpdk's port: net_af_xdp, or net_af_packet with AF=packet
HUGE=${HUGE:-0}                       # 1: ringdns-dpdk on 2 MB hugepages (added for the run, taken back)
HUGE_PAGES=${HUGE_PAGES:-512}         # how many 2 MB pages HUGE=1 adds
WARM=${WARM-1}                        # startup: also ringdns-warm (image cache primed); WARM= to skip
START_TIMEOUT=${START_TIMEOUT:-900}   # s, per server start (10M zones are slow)
SRV_CPU=${SRV_CPU:-1}                 # vCPU of the servers (and their NAPI thread)
GEN_CPU=${GEN_CPU:-0}                 # vCPU of the generator, probes, reload commands
RMEM_DEFAULT=${RMEM_DEFAULT:-}        # if set: net.core.rmem_default for the run (restored)
OUT=bench/out                         # zones and query files, reused across runs
RESULTS_DIR=${RESULTS_DIR:-$OUT}      # server-RESULTS.md, server-raw.tsv
RESULTS=$RESULTS_DIR/server-RESULTS.md
PY=/usr/bin/python3
PROBE=$ROOT/bench/server_probe.py

die() { echo "server.sh: $*" >&2; exit 1; }
log() { echo "server.sh: $*" >&2; }

[[ $(id -u) == 0 ]] || die "needs root (namespaces, veth, XDP)"
[[ $(nproc) -ge 2 ]] || die "needs 2 vCPUs"
for t in ip ethtool ss taskset pgrep top sysctl $PY; do
  command -v "$t" >/dev/null || die "$t not found"
done
[[ " $PARTS " != *" latency "* ]] || command -v dnsperf >/dev/null || die "dnsperf not found (apt-get install dnsperf)"
case $RINGDNS_BUILD in /*) BUILD=$RINGDNS_BUILD ;; *) BUILD=$ROOT/$RINGDNS_BUILD ;; esac
RINGDNS=$BUILD/dataplane/ringdns
RINGCTL=$BUILD/control/ringctl
GEN=$BUILD/bench/dpdk_gen
[[ -x $GEN ]] || die "no $RINGDNS_BUILD/bench/dpdk_gen, the load generator (a build with DPDK: meson setup -Ddpdk=enabled)"
[[ $AF == xdp || $AF == packet ]] || die "AF=$AF: xdp or packet"
have_ringdns() { # name: the binaries are built
  [[ -x $RINGDNS && -x $BUILD/control/ringdns-control && -x $RINGCTL ]] && return 0
  log "skipping $1: no $RINGDNS_BUILD/dataplane/ringdns or control/ringdns-control, ringctl (ninja -C $RINGDNS_BUILD)"
  return 1
}
have_dpdk() { # ringdns linked with DPDK, whose plugin directory has net_af_$AF
  local eal
  eal=$(ldd "$RINGDNS" | awk '$1 ~ /^librte_eal/ {print $3}')
  if [[ -z $eal ]]; then
    log "skipping ringdns-dpdk: $RINGDNS_BUILD/dataplane/ringdns is built without DPDK (meson setup -Ddpdk=enabled)"
    return 1
  fi
  if ! compgen -G "$(dirname "$eal")/dpdk/pmds-*/librte_net_af_$AF.so*" >/dev/null; then
    log "skipping ringdns-dpdk: no net_af_$AF driver beside $eal (AF=xdp or AF=packet)"
    return 1
  fi
  if [[ $HUGE == 1 && ! -d /sys/kernel/mm/hugepages/hugepages-2048kB ]]; then
    log "skipping ringdns-dpdk: HUGE=1 but this kernel has no 2 MB hugepages"
    return 1
  fi
}
have_knotd() { # name
  if ! command -v knotd >/dev/null || ! command -v knotc >/dev/null; then
    log "skipping $1: knotd/knotc not found (apt-get install knot)"; return 1
  fi
  if [[ $1 == knotd-xdp ]] && ! ldd "$(command -v knotd)" | grep -q libxdp; then
    log "skipping knotd-xdp: this knotd is built without XDP (no libxdp)"; return 1
  fi
}
servers=()
for s in $SERVERS; do
  case $s in
    ringdns|ringdns-warm) have_ringdns "$s" || continue ;;
    ringdns-dpdk) { have_ringdns "$s" && have_dpdk; } || continue ;;
    knotd|knotd-xdp) have_knotd "$s" || continue ;;
    nsd) if ! command -v nsd >/dev/null || ! command -v nsd-control >/dev/null; then
           log "skipping nsd: nsd/nsd-control not found (apt-get install nsd)"; continue
         fi ;;
    *) die "unknown server $s" ;;
  esac
  servers+=("$s")
done
[[ ${#servers[@]} -gt 0 ]] || die "no server to run"
[[ " ${servers[*]} " == *" ringdns "* ]] || WARM=""   # ringdns-warm: beside ringdns only
mkdir -p "$OUT" "$RESULTS_DIR"

TAG=$(( $$ % 10000 ))
NS_S=rdb-srv-$TAG NS_C=rdb-cli-$TAG   # server / client namespaces
IF_S=rs$TAG IF_C=rc$TAG               # veth ends (napi thread: napi/rsTAG-N)
SADDR=198.18.0.1 CADDR=198.18.0.2 PORT=53
TMP=$(mktemp -d /tmp/ringdns-server-bench.XXXXXX)
RAW=$TMP/raw.tsv                      # part size server run key value
: > "$RAW"
RMEM_SAVED=""  # net.core.rmem_default to restore
BACKLOG_SAVED="" # net.core.netdev_max_backlog to restore (AF=packet)
HUGE_ADDED=""  # 2 MB hugepages this run added (HUGE=1), taken back at exit
HUGE_DIR=""    # hugetlbfs mounted here (HUGE=1)
EAL_PREFIX=rdb$TAG                    # ringdns-dpdk's --file-prefix
GEN_PREFIX=rdg$TAG                    # dpdk_gen's
GENPID=""     # dpdk_gen running in the background
HELPER_PID="" # server_probe.py running in the background
NET_UP=0

# ---- cleanup: every process by PID, the namespaces, the temp dir -------------
stop_group() { # pgid: TERM the group's processes, wait (bounded), KILL the rest
  local g=$1 i
  [[ -n $g ]] || return 0
  kill -TERM -- "-$g" 2>/dev/null || return 0
  for ((i = 0; i < 200; i++)); do
    pgrep -g "$g" >/dev/null 2>&1 || return 0
    sleep 0.1
  done
  log "process group $g did not stop on TERM in 20 s: KILL"
  kill -KILL -- "-$g" 2>/dev/null || true
  sleep 0.2
}
cleanup() {
  local rc=$? f
  set +e
  trap - EXIT
  trap "" INT TERM   # a second Ctrl-C or a TERM must not cut the cleanup short
  [[ -n $HELPER_PID ]] && kill -TERM "$HELPER_PID" 2>/dev/null && sleep 0.5
  [[ -n $GENPID ]] && gen_stop
  for f in "$TMP"/*/pid; do
    [[ -e $f ]] && stop_group "$(cat "$f")"
  done
  cg_del
  rm -rf "/var/run/dpdk/$EAL_PREFIX" "/var/run/dpdk/$GEN_PREFIX"
  [[ -n $HUGE_DIR ]] && umount "$HUGE_DIR"
  [[ -n $HUGE_ADDED ]] && echo $(( $(cat "$HUGEPAGES") - HUGE_ADDED )) > "$HUGEPAGES"
  [[ -n $RMEM_SAVED ]] && sysctl -q -w net.core.rmem_default="$RMEM_SAVED"
  [[ -n $BACKLOG_SAVED ]] && sysctl -q -w net.core.netdev_max_backlog="$BACKLOG_SAVED"
  if [[ $NET_UP == 1 ]]; then
    ip netns del "$NS_S" 2>/dev/null
    ip netns del "$NS_C" 2>/dev/null
  fi
  rm -rf "$TMP"
  exit $rc
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# run_bg OUTFILE CMD...: CMD in the background, waited for, so that a signal
# to this script is handled at once (bash runs traps only between commands)
run_bg() {
  local o=$1 rc=0; shift
  "$@" > "$o" &
  HELPER_PID=$!
  wait "$HELPER_PID" || rc=$?
  HELPER_PID=""
  return $rc
}

# ---- zones and queries -------------------------------------------------------
zone_file() { # size -> path; generated once, reused when complete and current
  local n=$1 z=$ROOT/$OUT/server-zone-$1.zone
  if [[ $ZONE == tld ]]; then   # made, signed and checked once by tld.sh
    [[ -s $ROOT/$OUT/tld-$n.signed.zone ]] || CHECK=0 QUERIES=$QUERIES SEED=$SEED bench/tld.sh "$n" >&2
    echo "$ROOT/$OUT/tld-$n.signed.zone"
    return
  fi
  if [[ ! -s $z || bench/server_gen.py -nt $z ]] || ! tail -n 1 "$z" | grep -q "^; server_gen: $n names"; then
    log "generating $z"
    $PY bench/server_gen.py zone "$n" 1 > "$z.tmp" && mv "$z.tmp" "$z"
  fi
  echo "$z"
}
query_file() { # size -> path
  local q=$ROOT/$OUT/server-queries-$1-$QUERIES-$SEED.txt
  if [[ $ZONE == tld ]]; then   # the generator sets DO on GEN_DO %, EDNS on all
    q=$ROOT/$OUT/tld-queries-$1-$QUERIES-$SEED.flags.txt
    [[ -s $q ]] || CHECK=0 QUERIES=$QUERIES SEED=$SEED bench/tld.sh "$1" >&2
    echo "$q"
    return
  fi
  if [[ ! -s $q || bench/server_gen.py -nt $q ]]; then
    $PY bench/server_gen.py queries "$1" "$QUERIES" "$SEED" > "$q.tmp" && mv "$q.tmp" "$q"
  fi
  echo "$q"
}

# ---- network -----------------------------------------------------------------
napi_pids() { # ifname -> PIDs of its NAPI kernel threads
  local p c
  for p in /proc/[0-9]*; do
    c=$(cat "$p/comm" 2>/dev/null) || continue
    [[ $c == "napi/$1-"* ]] && echo "${p#/proc/}"
  done
  return 0
}
setup_net() {
  ip netns add "$NS_S"; NET_UP=1
  ip netns add "$NS_C"
  ip link add "$IF_S" netns "$NS_S" type veth peer name "$IF_C" netns "$NS_C"
  ip -n "$NS_S" addr add $SADDR/30 dev "$IF_S"
  ip -n "$NS_C" addr add $CADDR/30 dev "$IF_C"
  ip -n "$NS_S" link set lo up; ip -n "$NS_C" link set lo up
  ip -n "$NS_S" link set "$IF_S" up; ip -n "$NS_C" link set "$IF_C" up
  # GRO gives veth a NAPI instance; threaded NAPI puts each side's receive
  # work in its own kernel thread, pinned with its side (DPDK-TESTING.md)
  ip netns exec "$NS_S" ethtool -K "$IF_S" gro on >/dev/null
  ip netns exec "$NS_C" ethtool -K "$IF_C" gro on >/dev/null
  ip netns exec "$NS_C" ethtool -K "$IF_C" tx off >/dev/null   # full UDP checksums from the client
  ip netns exec "$NS_S" sh -c "echo 1 > /sys/class/net/$IF_S/threaded"
  ip netns exec "$NS_C" sh -c "echo 1 > /sys/class/net/$IF_C/threaded"
  pin_neigh
  pin_napi
  log "veth $NS_C/$IF_C $CADDR -> $NS_S/$IF_S $SADDR; NAPI threads: server $NAPI_S(CPU $SRV_CPU), client $NAPI_C(CPU $GEN_CPU)"
}
# pin_neigh: each side knows the other's MAC for good: every server answers
# from the veth's own MAC (a DPDK port on it takes that MAC too), no
# start-up time depends on when the client's kernel asks ARP again, and the
# server's kernel never asks the generator (which answers no ARP) during a
# run; again after a DPDK port gave its veth end back (taking a link down
# flushes even permanent entries)
pin_neigh() {
  ip -n "$NS_C" neigh replace $SADDR dev "$IF_C" nud permanent \
    lladdr "$(ip netns exec "$NS_S" cat "/sys/class/net/$IF_S/address")"
  ip -n "$NS_S" neigh replace $CADDR dev "$IF_S" nud permanent \
    lladdr "$(ip netns exec "$NS_C" cat "/sys/class/net/$IF_C/address")"
}
# pin_napi: finds the NAPI threads of both veth ends (in NAPI_S, NAPI_C) and
# pins them; again after every server start and stop, as a DPDK port takes
# its veth down and up, which makes new threads
pin_napi() {
  local p was="${NAPI_S:-} ${NAPI_C:-}"
  NAPI_S=$(napi_pids "$IF_S" | tr '\n' ' ') NAPI_C=$(napi_pids "$IF_C" | tr '\n' ' ')
  [[ -n $NAPI_S && -n $NAPI_C ]] || die "no threaded NAPI thread for $IF_S/$IF_C"
  [[ $was == " " || $was == "$NAPI_S $NAPI_C" ]] || log "NAPI threads now: server $NAPI_S, client $NAPI_C"
  for p in $NAPI_S; do taskset -p -c "$SRV_CPU" "$p" >/dev/null; done
  for p in $NAPI_C; do taskset -p -c "$GEN_CPU" "$p" >/dev/null; done
}
# helpers run in the server namespace on the generator's vCPU (an array, not a
# function, so that run_bg's PID is the helper's own); IN_C: in the client one
IN_S=(ip netns exec "$NS_S" taskset -c "$GEN_CPU")
IN_C=(ip netns exec "$NS_C" taskset -c "$GEN_CPU")
# on_wire NAME: a server that sees only the frames arriving on the veth (a
# DPDK port, an XDP program), not the server namespace's own traffic: it is
# probed from the client namespace, over TCP from the server namespace while
# the generator runs (it has the client's veth end to itself), and has no
# kernel UDP socket whose drops could be counted
on_wire() { [[ $1 == ringdns-dpdk || $1 == knotd-xdp ]]; }

# udp_sock: "RCVBUF DROPS" of the servers' UDP socket on $SADDR:$PORT (ss -m:
# rb is what the kernel grants, twice what was asked; d counts the packets
# dropped because the receive queue was full)
udp_sock() { # -> "RCVBUF DROPS": the last socket's buffer, drops summed over the sockets
  ip netns exec "$NS_S" ss -uanm "sport = :$PORT" 2>/dev/null |
    awk 'match($0, /rb[0-9]+/) {rb = substr($0, RSTART + 2, RLENGTH - 2)}
         match($0, /,d[0-9]+\)/) {d += substr($0, RSTART + 2, RLENGTH - 3)}
         END {print (rb == "" ? 0 : rb), d + 0}'
}

# ---- foreign load ------------------------------------------------------------
WARNINGS=$TMP/warnings
: > "$WARNINGS"
check_load() { # label [our pgid]: warn when the machine is not idle
  local label=$1 g=${2:-} ours
  ours=" "
  [[ -z $g ]] || ours+="$(pgrep -g "$g" | tr '\n' ' ') "
  local frame
  frame=$(top -bn2 -d 0.5 -w 200 | awk '/^top -/{f++} f==2')
  local idle busy mine
  # (commas to blanks first: top writes "0.0 ni,100.0 id")
  idle=$(tr ',' ' ' <<<"$frame" | awk '/^%Cpu/ {for (i = 1; i < NF; i++) if ($(i+1) ~ /^id/) print $i}')
  busy=$(awk -v ours="$ours" 'p && $9+0 >= 10 && index(ours, " " $1 " ") == 0 {printf "%s %s%%, ", $12, $9}
                               /^ *PID/ {p = 1}' <<<"$frame")
  # our own server's CPU counts as idle (a DPDK lcore polls even when idle)
  mine=$(awk -v ours="$ours" -v n="$(nproc)" 'p && index(ours, " " $1 " ") {c += $9} /^ *PID/ {p = 1}
                                              END {printf "%.1f", c / n}' <<<"$frame")
  if [[ -z $idle ]] || awk -v i="$idle" -v m="$mine" 'BEGIN {exit !(i + m < 90)}' || [[ -n $busy ]]; then
    local msg="foreign load before $label: idle ${idle:-?}% (+ ${mine}% ours), ${busy:-no single process >= 10%}"
    log "WARNING: $msg"
    echo "- $(date -u +%H:%M:%S) $msg" >> "$WARNINGS"
  fi
}

# ---- servers -----------------------------------------------------------------
# start_server NAME ZONEFILE SERIAL: starts NAME in $NS_S on $SRV_CPU, waits
# for its first answer; sets SPID (its PID = process group) and STARTUP_S.
write_config() { # name zonefile dir
  local d=$3
  case $1 in
    knotd|knotd-xdp) cat > "$d/knot.conf" <<EOF
server:
    rundir: $d
    listen: $SADDR@$PORT
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
$(knot_xdp "$1")
control:
    listen: $d/knot.sock
database:
    storage: $d
log:
  - target: stderr
    any: info
template:
  - id: default
    storage: $d
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
zone:
  - domain: $ZNAME
    file: $2
EOF
    ;;
    nsd) cat > "$d/nsd.conf" <<EOF
server:
    server-count: 1
    ip-address: $SADDR@$PORT
    username: ""
    chroot: ""
    zonesdir: ""
    database: ""
    pidfile: "$d/nsd.pid"
    xfrdfile: "$d/xfrd.state"
    zonelistfile: "$d/zone.list"
    xfrdir: "$d"
    logfile: "$d/nsd.log"
    rrl-ratelimit: 0
    minimal-responses: yes
    verbosity: 1
remote-control:
    control-enable: yes
    control-interface: $d/nsd.ctl
zone:
    name: ${ZNAME%.}
    zonefile: $2
EOF
    ;;
  esac
}
# knotd-xdp: knotd's XDP mode (knot.conf(5), "XDP section", 3.2) on the
# server's veth end, UDP only: TCP stays on the socket of server.listen
knot_xdp() { # name
  [[ $1 == knotd-xdp ]] || return 0
  printf 'xdp:\n    listen: %s@%s\n    udp: on\n    tcp: off\n' "$IF_S" "$PORT"
}
# eal_args: ringdns-dpdk's EAL arguments: its worker lcore on $SRV_CPU, the
# main lcore (publisher, control loop) on $GEN_CPU, one port on the veth
eal_args() {
  EAL=(-l "$GEN_CPU,$SRV_CPU" --main-lcore "$GEN_CPU" --no-pci --file-prefix "$EAL_PREFIX")
  if [[ $HUGE == 1 ]]; then
    EAL+=(--in-memory --huge-dir "$HUGE_DIR" -m 512)
  else
    EAL+=(--no-shconf --no-huge -m 512)
  fi
  EAL+=("--log-level=lib.*:error" --vdev "net_af_${AF}0,iface=$IF_S")
}
server_cmd() { # name zonefile dir: the command in CMD
  local rd=("$RINGDNS" --zone "$ZNAME=$2" --control-socket "$3/ctl.sock" --workers 1 --tcp-workers 1)
  case $1 in
    ringdns) CMD=("${rd[@]}" --listen "$SADDR:$PORT") ;;
    # the same with an image cache (server.cache-dir) primed by an earlier start
    ringdns-warm) CMD=("${rd[@]}" --listen "$SADDR:$PORT" --cache-dir "$TMP/cache") ;;
    # UDP on the DPDK port; TCP on the kernel side of the exception path
    # (the TAP gets $SADDR once ringdns made it, hence the wildcard)
    ringdns-dpdk) eal_args; CMD=("${rd[@]}" --listen "0.0.0.0:$PORT" --io dpdk --address "$SADDR" -- "${EAL[@]}") ;;
    knotd|knotd-xdp) CMD=(knotd -c "$3/knot.conf") ;;
    nsd) CMD=(nsd -d -c "$3/nsd.conf") ;;
  esac
}
reload_cmd() { # name dir: the command in CMD
  case $1 in
    ringdns|ringdns-dpdk) CMD=("$RINGCTL" -s "$2/ctl.sock" reload "$ZNAME") ;;
    knotd|knotd-xdp) CMD=(knotc -s "$2/knot.sock" zone-reload "$ZNAME") ;;
    nsd) CMD=(nsd-control -c "$2/nsd.conf" reload "${ZNAME%.}") ;;
  esac
}
SPID="" STARTUP_S=""
# ---- memory cgroups -----------------------------------------------------------
# Each server start gets a fresh memory cgroup (v1 or v2, below this
# script's own) that its whole process tree joins before it runs: the
# cgroup's peak counts every page once (a memfd shared by two processes,
# nsd's copy-on-write children), which a sum of VmHWM does not.  Without a
# writable memory cgroup the cgroup columns stay empty.
CG_BASE=""
cg_init() {
  local rel
  if rel=$(awk -F: '$2 == "memory" {print $3}' /proc/self/cgroup) && [[ -n $rel && -d /sys/fs/cgroup/memory$rel ]]; then
    CG_BASE=/sys/fs/cgroup/memory$rel        # v1
  elif rel=$(awk -F: '$1 == "0" {print $3}' /proc/self/cgroup) && [[ -f /sys/fs/cgroup$rel/memory.peak ]]; then
    CG_BASE=/sys/fs/cgroup$rel               # v2
  fi
  [[ -n $CG_BASE ]] && mkdir "$CG_BASE/rdb-probe-$$" 2>/dev/null && rmdir "$CG_BASE/rdb-probe-$$" || CG_BASE=""
  [[ -n $CG_BASE ]] || log "no writable memory cgroup: cgroup peak not measured"
}
CG=""; CGFD=""
cg_new() { # name: fresh cgroup in CG, cgroup.procs open on CGFD
  cg_del
  [[ -n $CG_BASE ]] || return 0
  CG=$CG_BASE/rdb-$$-$1
  mkdir "$CG"
  exec {CGFD}>>"$CG/cgroup.procs"
}
cg_del() { # after the server stopped
  [[ -n $CGFD ]] && exec {CGFD}>&-
  CGFD=""
  if [[ -n $CG && -d $CG ]]; then
    local i
    for ((i = 0; i < 50; i++)); do rmdir "$CG" 2>/dev/null && break; sleep 0.1; done
  fi
  CG=""
}
cg_peak_kb() { # the cgroup's peak since creation or the last cg_reset_peak
  [[ -n $CG ]] || return 0
  if [[ -f $CG/memory.max_usage_in_bytes ]]; then
    echo $(( $(cat "$CG/memory.max_usage_in_bytes") / 1024 ))
  elif [[ -f $CG/memory.peak ]]; then
    echo $(( $(cat "$CG/memory.peak") / 1024 ))
  fi
}
cg_reset_peak() {
  [[ -n $CG ]] || return 0
  if [[ -f $CG/memory.max_usage_in_bytes ]]; then
    echo 0 > "$CG/memory.max_usage_in_bytes"
  elif [[ -f $CG/memory.peak ]]; then
    echo 0 > "$CG/memory.peak" 2>/dev/null || true   # resettable from Linux 6.12
  fi
}

start_server() { # name zonefile serial
  local s=$1 d=$TMP/$1 out run via
  rm -rf "$d"; mkdir -p "$d"
  write_config "$s" "$2" "$d"
  server_cmd "$s" "$2" "$d"
  echo "${CMD[*]}" > "$TMP/cmd-$s"   # for the report's header
  # on $SRV_CPU (ringdns-dpdk: on both, EAL pins each lcore), started by the
  # probe from where it sees the queries
  run=(taskset -c "$SRV_CPU") via=("${IN_S[@]}")
  if [[ $s == ringdns-dpdk ]]; then run=(taskset -c "$GEN_CPU,$SRV_CPU"); dpdk_take_veth; fi
  if on_wire "$s"; then run=(ip netns exec "$NS_S" "${run[@]}") via=("${IN_C[@]}"); fi
  cg_new "$s"
  if ! run_bg "$TMP/probe.out" "${via[@]}" $PY "$PROBE" start --addr $SADDR --port $PORT --zone "$ZNAME" \
               --serial "$3" --timeout "$START_TIMEOUT" --pidfile "$d/pid" --log "$d/log" \
               ${CGFD:+--cgroup-fd "$CGFD"} -- "${run[@]}" "${CMD[@]}"; then
    tail -n 20 "$d/log" "$d/nsd.log" >&2 2>/dev/null || true
    die "$s did not start"
  fi
  SPID=$(cat "$d/pid")
  out=$(cat "$TMP/probe.out")
  STARTUP_S=$($PY -c 'import json,sys; print(json.loads(sys.argv[1])["startup_s"])' "$out")
  if [[ $s == ringdns-dpdk ]]; then
    dpdk_tap_up
  else
    # knotd pins its UDP workers itself: re-pin every thread of every process
    local p
    for p in $(pgrep -g "$SPID"); do taskset -a -p -c "$SRV_CPU" "$p" >/dev/null 2>&1 || true; done
  fi
  pin_napi
}
stop_server() { # name
  stop_group "$SPID"
  rm -f "$TMP/$1/pid"
  SPID=""
  cg_del
  # knotd leaves its XDP program on the veth when it exits: it would take
  # the next server's queries (and keep a DPDK port from binding)
  if on_wire "$1"; then ip -n "$NS_S" link set dev "$IF_S" xdp off; fi
  if [[ $1 == ringdns-dpdk ]]; then dpdk_give_veth; fi
  pin_napi
}

# ---- ringdns-dpdk's surroundings ---------------------------------------------
# While ringdns-dpdk runs, the veth end is its DPDK port and the kernel keeps
# no address on it: $SADDR goes on the exception path's TAP (rdns0) once
# ringdns made it, so TCP reaches the kernel through ringdns, as on a host
# whose only NIC belongs to DPDK (README.md, "Running with DPDK").
RP_SAVED=""   # the server namespace's rp_filter (all, veth) to restore (AF=packet)
dpdk_take_veth() {
  ip -n "$NS_S" addr del $SADDR/30 dev "$IF_S"
  if [[ $AF == packet ]]; then
    # af_packet leaves every frame to the kernel as well, which would take
    # $SADDR's traffic on the veth: strict reverse-path filtering (RFC 3704)
    # drops that copy, the client's route being through the TAP
    RP_SAVED="$(ip netns exec "$NS_S" sysctl -n net.ipv4.conf.all.rp_filter "net.ipv4.conf.$IF_S.rp_filter" | tr '\n' ' ')"
    ip netns exec "$NS_S" sysctl -qw net.ipv4.conf.all.rp_filter=1 "net.ipv4.conf.$IF_S.rp_filter=1"
  fi
}
dpdk_tap_up() {
  ip -n "$NS_S" addr add $SADDR/30 dev rdns0
  ip -n "$NS_S" link set rdns0 up
}
dpdk_give_veth() { # after ringdns-dpdk stopped (its TAP went with it)
  rm -rf "/var/run/dpdk/$EAL_PREFIX"
  if [[ -n $RP_SAVED ]]; then
    local all dev
    read -r all dev <<<"$RP_SAVED"
    ip netns exec "$NS_S" sysctl -qw net.ipv4.conf.all.rp_filter="$all" "net.ipv4.conf.$IF_S.rp_filter=$dev"
    RP_SAVED=""
  fi
  # the DPDK port took the link down when it stopped
  ip -n "$NS_S" addr add $SADDR/30 dev "$IF_S"
  ip -n "$NS_S" link set "$IF_S" up
  pin_neigh
}
HUGEPAGES=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
dpdk_setup() { # once, before the first part
  if [[ $AF == packet ]]; then
    # DPDK-TESTING.md: the default backlog drops 40-50 % above ~150 kpps
    BACKLOG_SAVED=$(sysctl -n net.core.netdev_max_backlog)
    sysctl -q -w net.core.netdev_max_backlog=16384
    log "net.core.netdev_max_backlog $BACKLOG_SAVED -> 16384 for af_packet (restored at exit)"
  fi
  [[ $HUGE == 1 ]] || return 0
  # what this run adds is taken back at exit, not the count restored:
  # another user of hugepages may change it meanwhile
  local had got
  had=$(cat "$HUGEPAGES")
  echo $(( had + HUGE_PAGES )) > "$HUGEPAGES"
  got=$(cat "$HUGEPAGES")
  HUGE_ADDED=$(( got - had ))
  (( HUGE_ADDED >= HUGE_PAGES )) ||
    die "HUGE=1: asked for $HUGE_PAGES more 2 MB hugepages, got $HUGE_ADDED (too little free memory? HUGE_PAGES=N asks for fewer)"
  mkdir "$TMP/huge"
  mount -t hugetlbfs -o pagesize=2M nodev "$TMP/huge"
  HUGE_DIR=$TMP/huge
  log "nr_hugepages (2 MB) $had -> $got, hugetlbfs on $HUGE_DIR (both undone at exit)"
}

# step PART SERVER RUN [SIZE]: the line that starts a server's turn
step() { log "step: $1 $2 run $3${4:+ size $4}"; }
# record part size server run key value
rec() { printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >> "$RAW"; }
# memory of the server tree now: rec with keys PREFIX_main, PREFIX_ctl, PREFIX_sum, pss_sum
rec_mem_json() { # part size server run prefix json
  $PY - "$@" >> "$RAW" <<'EOF'
import json, sys
part, size, server, run, prefix, js = sys.argv[1:7]
procs = json.loads(js)["procs"]
def out(k, v): print(f"{part}\t{size}\t{server}\t{run}\t{k}\t{v}")
if server.startswith("ringdns"):
    main = max((p[2] for p in procs if p[1] == "ringdns"), default=0)
    ctl = max((p[2] for p in procs if p[1] == "ringdns-control"), default=0)
    out(prefix + "_main", main); out(prefix + "_ctl", ctl); out(prefix + "_sum", main + ctl)
else:  # knotd: one process; nsd: the largest of its processes (children share pages copy-on-write)
    m = max((p[2] for p in procs), default=0)
    out(prefix + "_main", m); out(prefix + "_sum", m)
if procs and len(procs[0]) > 3:
    out("pss_sum", sum(p[3] or 0 for p in procs))
EOF
}

# ---- the generator -----------------------------------------------------------
# bench/dpdk_gen on a net_af_xdp port on the client's veth end, one lcore on
# $GEN_CPU.  While it runs, its XDP program hands every frame of that veth
# to it, so the client namespace's kernel sees none: probes meanwhile go
# from the server namespace.  It leaves the veth as it found it.
# gen_run RATE SECS OUTFILE: one fixed-rate run; sets GEN_RES="SENT ANSWERED"
# (not run in $( ): GENPID must be known to cleanup)
gen_run() {
  gen_start "$1" "$2" "$3"
  local i
  for ((i = 0; i < ($2 + 30) * 5; i++)); do   # it stops itself after --seconds; bound it anyway
    kill -0 "$GENPID" 2>/dev/null || break
    sleep 0.2
  done
  gen_stop
  gen_give_veth
  GEN_RES=$(gen_totals < "$3" | tail -n 1)
  GEN_RES=${GEN_RES:-0 0}
}
gen_start() { # rate secs outfile: dpdk_gen in the background, PID in GENPID
  ip netns exec "$NS_C" taskset -c "$GEN_CPU" "$GEN" -l "$GEN_CPU" --no-pci --no-huge --no-shconf \
    -m 256 --file-prefix "$GEN_PREFIX" "--log-level=lib.*:error" --vdev "net_af_xdp0,iface=$IF_C" -- \
    --queries "$QFILE" --dst $SADDR --src $CADDR --seconds "$2" --rate "$1" --do "$GEN_DO" \
    --arp-wait 10 > "$3" 2> "$3.err" &
  GENPID=$!
}
gen_stop() { # SIGINT (it prints its totals), bounded wait, then KILL
  local i
  kill -INT "$GENPID" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do kill -0 "$GENPID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$GENPID" 2>/dev/null || true
  wait "$GENPID" 2>/dev/null || true
  GENPID=""
  rm -rf "/var/run/dpdk/$GEN_PREFIX"
}
gen_give_veth() { # the client's veth end as before the generator took it
  ip -n "$NS_C" link set dev "$IF_C" xdp off 2>/dev/null || true
  ip -n "$NS_C" link set "$IF_C" up
  pin_neigh
  pin_napi
}
gen_totals() { # dpdk_gen's output -> "SENT ANSWERED" per mark, then the totals
  sed -n 's/^\(mark \)\{0,1\}sent=\([0-9]*\) answered=\([0-9]*\).*/\2 \3/p'
}

# ---- parts -------------------------------------------------------------------
part_throughput() {
  local z; z=$(zone_file "$TP_SIZE"); QFILE=$(query_file "$TP_SIZE")
  cat "$z" > /dev/null
  local r s
  for ((r = 1; r <= RUNS; r++)); do
    for s in "${servers[@]}"; do
      step throughput "$s" "$r"
      start_server "$s" "$z" 1
      tp_fixed "$s" "$r"
      tp_ladder "$s" "$r"
      stop_server "$s"
    done
  done
}
# tp_fixed NAME RUN: CPU per million answers at a fixed rate; for
# ringdns-dpdk, whose lcore polls (its CPU time is not its load), also its
# own busy share of the poll cycles and busy cycles per answer
tp_fixed() {
  local s=$1 r=$2 c0 c1 rb="" d0="" d1="" drops="" sent got p0 p1 n0 n1 load=""
  check_load "throughput $s run $r" "$SPID"
  # shellcheck disable=SC2086 # NAPI_S is a list of PIDs
  c0=$($PY "$PROBE" cpu "$SPID" $NAPI_S)
  on_wire "$s" || read -r rb d0 <<<"$(udp_sock)"
  [[ $s == ringdns-dpdk ]] && ringctl_stats "$TMP/io0.json"
  gen_run "$FIXED_QPS" "$FIXED_S" "$TMP/gen.out"
  # shellcheck disable=SC2086
  c1=$($PY "$PROBE" cpu "$SPID" $NAPI_S)
  on_wire "$s" || { read -r _ d1 <<<"$(udp_sock)"; drops=$(( d1 - d0 )); }
  read -r sent got <<<"$GEN_RES"
  read -r p0 n0 <<<"$c0"; read -r p1 n1 <<<"$c1"
  p1=$(awk -v a="$p0" -v b="$p1" 'BEGIN {print b - a}') n1=$(awk -v a="$n0" -v b="$n1" 'BEGIN {print b - a}')
  rec throughput "$TP_SIZE" "$s" "$r" rcvbuf "$rb"
  rec throughput "$TP_SIZE" "$s" "$r" fixed_sockdrops "$drops"
  rec throughput "$TP_SIZE" "$s" "$r" fixed_sent "$sent"
  rec throughput "$TP_SIZE" "$s" "$r" fixed_answered "$got"
  rec throughput "$TP_SIZE" "$s" "$r" cpu_proc "$p1"
  rec throughput "$TP_SIZE" "$s" "$r" cpu_napi "$n1"
  if [[ $s == ringdns-dpdk ]]; then
    local busy cpa
    ringctl_stats "$TMP/io1.json"
    IFS=, read -r busy cpa <<<"$($PY "$PROBE" dpdkload "$TMP/io0.json" "$TMP/io1.json")"
    rec throughput "$TP_SIZE" "$s" "$r" busy_pct "$busy"
    rec throughput "$TP_SIZE" "$s" "$r" cycles_per_answer "$cpa"
    load="; polling busy ${busy:-?} % of the cycles, ${cpa:-?} busy cycles per answer"
  fi
  log "$s run $r: UDP rcvbuf ${rb:-n/a}; $FIXED_QPS q/s for ${FIXED_S}s: $got/$sent answered, ${drops:-n/a} dropped at the socket, CPU process $p1 s + NAPI $n1 s$load"
}
ringctl_stats() { # outfile: ringdns-dpdk's counters (empty if ringctl fails)
  "$RINGCTL" -s "$TMP/ringdns-dpdk/ctl.sock" stats --json > "$1" 2>/dev/null || : > "$1"
}
# tp_ladder NAME RUN: the highest step with >= 99 % answered and >= 98 % of
# the rate sent
tp_ladder() {
  local s=$1 r=$2 best=0 q try ok trail="" sent got
  for q in $STEPS; do
    ok=0
    for ((try = 0; try <= STEP_RETRIES; try++)); do
      check_load "throughput $s run $r step $q" "$SPID"
      gen_run "$q" "$STEP_S" "$TMP/gen.out"
      read -r sent got <<<"$GEN_RES"
      rec throughput "$TP_SIZE" "$s" "$r" "step_$q" "$sent $got $STEP_S"
      if awk -v s="$sent" -v g="$got" -v q="$q" -v t="$STEP_S" \
           'BEGIN {exit !(s > 0 && g >= 0.99 * s && s >= 0.98 * q * t)}'; then
        ok=1; break
      fi
      trail+="$q:fail($got/$sent) "
    done
    [[ $ok == 1 ]] || break
    best=$q; trail+="$q:ok "
  done
  log "$s run $r: steps $trail-> $best q/s"
  rec throughput "$TP_SIZE" "$s" "$r" max_qps "$best"
  rec throughput "$TP_SIZE" "$s" "$r" steps "$trail"
}

part_latency() {
  local z r s q dq
  z=$(zone_file "$TP_SIZE"); q=$(query_file "$TP_SIZE")
  # dnsperf reads "NAME TYPE" lines: the TLD mix without its flag
  # column, every query with DO (-D) instead of 70 %
  dq=$TMP/dnsperf-queries.txt
  cut -d' ' -f1,2 "$q" > "$dq"
  cat "$z" > /dev/null
  for ((r = 1; r <= RUNS; r++)); do
    for s in "${servers[@]}"; do
      step latency "$s" "$r"
      start_server "$s" "$z" 1
      lat_warm "$dq"
      for q in $LAT_RATES; do lat_one "$s" "$r" "$q" "$dq"; done
      stop_server "$s"
    done
  done
}
# lat_warm QUERYFILE: one second of dnsperf at the lowest rate, not kept
# (the server's first queries and the client's sockets warm up)
lat_warm() {
  local q
  q=$(tr ' ' '\n' <<<"$LAT_RATES" | grep . | sort -n | head -n 1)
  run_bg /dev/null timeout -k 5 30 "${IN_C[@]}" dnsperf -s $SADDR -p $PORT -d "$1" -l 1 -Q "$q" \
    -c "$LAT_CLIENTS" -t 1 -e || true
}
# lat_one NAME RUN RATE QUERYFILE: dnsperf from the client namespace (as
# the generator) at RATE q/s for LAT_S s, every response's latency (-v) kept
# in a file and read after the run, queries unanswered after 1 s lost
lat_one() {
  local s=$1 r=$2 q=$3 js flags=(-e)
  [[ $ZONE == tld ]] && flags=(-D)
  check_load "latency $s run $r rate $q" "$SPID"
  run_bg "$TMP/dnsperf.out" timeout -k 5 $(( LAT_S + 30 )) "${IN_C[@]}" dnsperf -s $SADDR -p $PORT \
    -d "$4" -l "$LAT_S" -Q "$q" -c "$LAT_CLIENTS" -q 2000 -t 1 "${flags[@]}" -v ||
    log "$s: dnsperf at $q q/s exited with an error (its statistics are still read)"
  js=$($PY "$PROBE" latency "$TMP/dnsperf.out")
  rm -f "$TMP/dnsperf.out"
  $PY - "$TP_SIZE" "$s" "$r" "$q" "$js" >> "$RAW" <<'EOF'
import json, sys
size, s, r, q, js = sys.argv[1:6]
d = json.loads(js)
for k in ("sent", "completed", "lost", "qps", "p50", "p90", "p99", "p999", "max"):
    v = d.get(k)
    print(f"latency\t{size}\t{s}\t{r}\tr{q}_{k}\t{'' if v is None else v}")
EOF
  log "$s run $r: dnsperf $q q/s for ${LAT_S}s: $js"
}

part_startup() {
  local n z r s js
  for n in $SIZES; do
    z=$(zone_file "$n")
    cat "$z" > /dev/null   # the page cache holds the file for every server
    for ((r = 1; r <= RUNS; r++)); do
      for s in "${servers[@]}" ${WARM:+ringdns-warm}; do
        if [[ $s == ringdns-warm ]]; then
          # prime the cache: one start that compiles the zone and writes
          # its image (about a second after the load), then stop
          rm -rf "$TMP/cache"; mkdir -p "$TMP/cache"
          start_server "$s" "$z" 1
          # (written to a temporary name and renamed: there means complete)
          for ((i = 0; i < 1200; i++)); do
            [[ -f $TMP/cache/${ZNAME}img ]] && break
            sleep 0.1
          done
          [[ -f $TMP/cache/${ZNAME}img ]] || die "ringdns-warm: no cached image"
          stop_server "$s"
        fi
        check_load "startup $s $n run $r"
        step startup "$s" "$r" "$n"
        start_server "$s" "$z" 1
        sleep 1   # let the process settle; VmHWM keeps the peak anyway
        js=$($PY "$PROBE" mem "$SPID")
        rec startup "$n" "$s" "$r" startup_s "$STARTUP_S"
        rec_mem_json startup "$n" "$s" "$r" hwm "$js"
        rec startup "$n" "$s" "$r" cgroup_peak "$(cg_peak_kb)"
        log "$s $n names run $r: first answer after $STARTUP_S s; $js"
        # where a ringdns start went: ringdns-control's phases (parse and
        # check, compile, hand-over), from its log
        [[ $s == ringdns* ]] && grep -h "loaded from" "$TMP/$s/log" 2>/dev/null | sed 's/^.*: zone /server.sh:   zone /' >&2
        stop_server "$s"
      done
    done
  done
}

part_reload() {
  local z z2 r s
  if [[ $ZONE == tld ]]; then
    log "reload: not with ZONE=tld (a new serial would need the zone re-signed): skipped"
    return 0
  fi
  z=$(zone_file "$RELOAD_SIZE"); QFILE=$(query_file "$RELOAD_SIZE")
  z2=$TMP/zone-serial2
  sed '3s/^@\tIN\tSOA\tns1 hostmaster 1 /@\tIN\tSOA\tns1 hostmaster 2 /' "$z" > "$z2"
  grep -q $'^@\tIN\tSOA\tns1 hostmaster 2 ' "$z2" || die "cannot make the serial-2 zone"
  for ((r = 1; r <= RUNS; r++)); do
    for s in "${servers[@]}"; do
      step reload "$s" "$r"
      cp "$z" "$TMP/zone-$s"          # served file: serial 1, then replaced by serial 2
      start_server "$s" "$TMP/zone-$s" 1
      reload_one "$s" "$r" "$z2"
      stop_server "$s"
      rm -f "$TMP/zone-$s"
    done
  done
}
# reload_one NAME RUN ZONE2: under the generator's load, the served file replaced
# by ZONE2 (serial 2), the reload command, polls until serial 2 is answered
reload_one() {
  local s=$1 r=$2 d=$TMP/$1 js rd0="" rd1="" drops="" tcp=()
  check_load "reload $s run $r" "$SPID"
  gen_start "$RELOAD_QPS" $(( START_TIMEOUT + 10 )) "$TMP/gen-reload.out"
  sleep 3                          # the generator starts up, load is steady
  cg_reset_peak                    # the reload window's peak from here
  # probed from the server namespace (the generator has the client's
  # veth end): over TCP where UDP never reaches the kernel
  if on_wire "$s"; then tcp=(--tcp 1); else read -r _ rd0 <<<"$(udp_sock)"; fi
  cp "$3" "$TMP/zone-$s.new" && mv "$TMP/zone-$s.new" "$TMP/zone-$s"
  reload_cmd "$s" "$d"
  if ! run_bg "$TMP/probe.out" "${IN_S[@]}" $PY "$PROBE" reload --addr $SADDR --port $PORT --zone "$ZNAME" \
         --serial 2 --timeout "$START_TIMEOUT" --pid "$SPID" --gen "$GENPID" "${tcp[@]}" -- "${CMD[@]}"; then
    tail -n 20 "$d/log" "$d/nsd.log" "$TMP/gen-reload.out" "$TMP/gen-reload.out.err" >&2 2>/dev/null || true
    die "$s: reload failed"
  fi
  js=$(cat "$TMP/probe.out")
  on_wire "$s" || { read -r _ rd1 <<<"$(udp_sock)"; drops=$(( rd1 - rd0 )); }
  rec reload "$RELOAD_SIZE" "$s" "$r" sockdrops "$drops"
  gen_stop
  gen_give_veth
  # the generator's marks at the two SIGUSR1, then its final totals
  local blocks b1 b2
  mapfile -t blocks < <(gen_totals < "$TMP/gen-reload.out")
  [[ ${#blocks[@]} -ge 3 ]] || die "$s: the generator gave no marks for the reload window: $(head -c 400 "$TMP/gen-reload.out" "$TMP/gen-reload.out.err")"
  b1=${blocks[0]} b2=${blocks[1]}
  $PY - "$s" "$r" "$RELOAD_SIZE" "$js" "$b1" "$b2" "${blocks[-1]}" >> "$RAW" <<'EOF'
import json, re, sys
s, r, size, js, b1, b2, b3 = sys.argv[1:8]
d = json.loads(js)
(q1, a1), (q2, a2), (q3, a3) = (map(int, b.split()) for b in (b1, b2, b3))
sent, got = q2 - q1, a2 - a1
def out(k, v): print(f"reload\t{size}\t{s}\t{r}\t{k}\t{v}")
out("reload_s", d["reload_s"])
out("rc", d["rc"])
out("pss_peak_sum", d.get("pss_peak", ""))
out("window_sent", sent)
out("window_lost", sent - got)
out("unanswered_pct", round(100.0 * (sent - got) / sent, 3) if sent > 0 else "")
# from the window's start to the end of the run: queries never answered,
# where the window's own count cannot tell a late answer from a lost one
out("run_sent", q3 - q1)
out("run_lost", (q3 - a3) - (q1 - a1))
m = re.search(r"loaded in ([0-9.]+) s", d["out"])
if m:
    out("own_loaded_s", m.group(1))
EOF
  rec_mem_json reload "$RELOAD_SIZE" "$s" "$r" hwm "$js"
  rec reload "$RELOAD_SIZE" "$s" "$r" cgroup_peak "$(cg_peak_kb)"
  log "$s reload run $r: $js; window $b1 -> $b2 (sent answered)"
}

# ---- run ---------------------------------------------------------------------
# this script and everything it starts run on the generator's vCPU; only the
# servers (and the server-side NAPI thread) are moved to $SRV_CPU
taskset -p -c "$GEN_CPU" $$ >/dev/null
if [[ -n $RMEM_DEFAULT ]]; then
  RMEM_SAVED=$(sysctl -n net.core.rmem_default)
  sysctl -q -w net.core.rmem_default="$RMEM_DEFAULT"
  log "net.core.rmem_default $RMEM_SAVED -> $RMEM_DEFAULT (restored at exit)"
fi
setup_net
cg_init
[[ " ${servers[*]} " == *" ringdns-dpdk "* ]] && dpdk_setup
T_START=$(date +%s)
for part in $PARTS; do
  case $part in
    throughput|latency|startup|reload) log "== $part"; "part_$part" ;;
    *) die "unknown part $part" ;;
  esac
done

# ---- report ------------------------------------------------------------------
how_they_ran() { # the header's lines on each server's command and placement
  local s
  echo "- how each server ran (\$TMP: the run's temporary directory):"
  for s in "${servers[@]}" ${WARM:+ringdns-warm}; do
    [[ -f $TMP/cmd-$s ]] || continue
    echo "  - $s: \`$(sed "s|$TMP|\$TMP|g; s|$ROOT/||g" "$TMP/cmd-$s")\`"
    case $s in
      ringdns-dpdk) echo "    UDP on a net_af_$AF port on $IF_S, its worker lcore on vCPU $SRV_CPU, the main lcore" \
                         "(publisher, control) on vCPU $GEN_CPU$([[ $HUGE == 1 ]] && echo ", on 2 MB hugepages");" \
                         "TCP through the exception path's TAP rdns0 ($SADDR) to its TCP thread; probed from $NS_C" \
                         "(over TCP under load)" ;;
      knotd-xdp) echo "    knotd's knot.conf plus \`xdp: {listen: $IF_S@$PORT, udp: on, tcp: off}\`, TCP on its" \
                      "socket $SADDR@$PORT; every thread re-pinned to vCPU $SRV_CPU; probed from $NS_C (over TCP under load)" ;;
      *) echo "    under taskset -c $SRV_CPU in $NS_S, every thread re-pinned there after start; probed from $NS_S over UDP" ;;
    esac
  done
}
{
  echo "# server benchmark: ringdns (DPDK, sockets) vs knotd (sockets, XDP) vs nsd"
  echo
  echo "- date: $(date -u +%Y-%m-%dT%H:%MZ), took $(( $(date +%s) - T_START )) s"
  echo "- host: $(nproc --all) vCPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), kernel $(uname -r)"
  echo "- ringdns: git $(git describe --always --dirty 2>/dev/null || echo unknown), binaries from $RINGDNS_BUILD/"
  echo "- knotd: $(knotd -V 2>&1 | head -1 || true); nsd: $(nsd -v 2>&1 | head -1 || true); generator: bench/dpdk_gen (DPDK $(pkg-config --modversion libdpdk 2>/dev/null || echo ?), net_af_xdp); dnsperf: $(dnsperf -h 2>&1 | grep -m1 '^Version' || true)"
  echo "- network: veth $NS_C -> $NS_S ($CADDR -> $SADDR), GRO + threaded NAPI; servers and the server-side NAPI thread on vCPU $SRV_CPU, the generator (dpdk_gen)/probes/client NAPI on vCPU $GEN_CPU"
  echo "- one worker each: ringdns --workers 1 --tcp-workers 1; knotd udp/tcp/background-workers 1; nsd server-count 1, rrl-ratelimit 0, minimal-responses yes, database \"\""
  how_they_ran
  if [[ $ZONE == tld ]]; then
    echo "- zone: bench-tld., N delegations shaped like a signed TLD (bench/tld.sh: two NS each, a tenth in-bailiwick with glue, a tenth with DS; NSEC3 opt-out, 0 iterations, no salt; ECDSA P-256), the same signed file for every server; queries: $QUERIES, seed $SEED, bench/tld_gen.py's mix (referrals, NXDOMAIN, apex) with DO on $GEN_DO %, EDNS on all (the generator's)"
  else
    echo "- zones: bench.test., N names with one A each (+MX, TXT on every 50th); queries: $QUERIES, seed $SEED, 88 % A hits, 2 % MX/TXT, 10 % NXDOMAIN"
  fi
  echo "- net.core.rmem_default $(sysctl -n net.core.rmem_default)${RMEM_SAVED:+ (set by RMEM_DEFAULT, was $RMEM_SAVED)}, rmem_max $(sysctl -n net.core.rmem_max)"
  echo "- RUNS=$RUNS (servers interleaved, median shown, all runs in brackets), QUICK=$QUICK"
  echo
} > "$TMP/head.md"
$PY bench/server_report.py "$RAW" "$TMP/head.md" "$WARNINGS" \
  "STEP_S=$STEP_S STEP_RETRIES=$STEP_RETRIES FIXED_QPS=$FIXED_QPS FIXED_S=$FIXED_S RELOAD_QPS=$RELOAD_QPS STEPS=$STEPS LAT_RATES=$LAT_RATES LAT_S=$LAT_S LAT_CLIENTS=$LAT_CLIENTS" \
  > "$TMP/results.md"
cp "$TMP/results.md" "$RESULTS"
cp "$RAW" "$RESULTS_DIR/server-raw.tsv"
cat "$RESULTS"
echo
echo "saved: $RESULTS (per-run values: $RESULTS_DIR/server-raw.tsv)"
