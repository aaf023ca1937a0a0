#!/usr/bin/env bash
# bench/dpdk.sh: the DPDK server past the kernel generators.  ringdns
# --io dpdk with net_memif server ports, one DPDK generator (dpdk_gen,
# a net_memif client) per port, answers counted by the generator and
# cycles by the server's own counters (ringctl stats: busy cycles of the
# lcores, from receive to send, per answer).  Parts (PARTS):
#   ceiling  one worker lcore on vCPU $SRV_CPU, the generator on
#            $GEN_CPU sending as fast as the port takes: answers/s and
#            cycles per answer per query class (hits, nxdomain, mix) on a
#            $NAMES-name zone, RUNS times, classes interleaved; in run 1 a
#            perf profile of the lcore splits its cycles into I/O (the
#            PMD, mbufs, the backend's moves), L2-L4 (pkt.c), the engine
#            and the loop
#   ceiling-zc  the same with ringdns the memif client in zero-copy mode
#            (it receives into, and sends from, its own mbufs, as from a
#            NIC's rings; the generator is the memif server and copies):
#            a ringdns start per window, answers/s from its own counters
#   reload   $RELOADS hot reloads of that zone while the generator sends
#            $RELOAD_RATE q/s: queries sent and not answered (target 0)
#   scaling  for N in $LCORES: N worker lcores, N ports, N generators
#            (each sending over N queues, one per lcore): answers/s per
#            lcore; N is skipped where the machine has fewer than 2N vCPUs
# Results: $RESULTS_DIR/dpdk-RESULTS.md, default bench/out (bench/README.md, "dpdk").  Needs
# root, ip, built ringdns and bench/dpdk_gen in $RINGDNS_BUILD (release).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

RINGDNS_BUILD=${RINGDNS_BUILD:-build-rel}
NAMES=${NAMES:-1000000}
RUNS=${RUNS:-3}
SECS=${SECS:-10}                    # seconds per ceiling measurement
CLASSES=${CLASSES:-"hits nxdomain mix"}
DO_PCT=${DO_PCT:-0}                 # queries with the DO bit, %
RELOADS=${RELOADS:-10}
RELOAD_RATE=${RELOAD_RATE:-1000000}
LCORES=${LCORES:-"1 2 4 8"}          # OVERSUBSCRIBE=1: run them on fewer vCPUs (a functional check)
PARTS=${PARTS:-"ceiling ceiling-zc reload"}
HUGE=${HUGE:-1}                     # 2 MB hugepages for both sides (restored at exit)
RSIZE=${RSIZE:-14}                  # log2 of the memif rings (the client sets them): 16384
                                    # slots ride out the generator's vCPU going to ringdns-control
SRV_CPU=${SRV_CPU:-1}
GEN_CPU=${GEN_CPU:-0}
QUERIES=${QUERIES:-1000000}         # lines per query file
PROFILE=${PROFILE:-1}               # ceiling, run 1: perf profile of the lcore (if perf is there)
OUT=bench/out                       # generated zones, reused
RESULTS_DIR=${RESULTS_DIR:-$OUT}
RESULTS=$RESULTS_DIR/dpdk-RESULTS.md
PY=/usr/bin/python3
SADDR=198.18.0.1 CADDR=198.18.0.2

die() { echo "dpdk.sh: $*" >&2; exit 1; }
log() { echo "dpdk.sh: $*" >&2; }

[[ $(id -u) == 0 ]] || die "needs root (a network namespace for the server's TAP, hugepages)"
case $RINGDNS_BUILD in /*) BUILD=$RINGDNS_BUILD ;; *) BUILD=$ROOT/$RINGDNS_BUILD ;; esac
RINGDNS=$BUILD/dataplane/ringdns
RINGCTL=$BUILD/control/ringctl
GEN=$BUILD/bench/dpdk_gen
for f in "$RINGDNS" "$RINGCTL" "$GEN"; do
  [[ -x $f ]] || die "no $f: build with DPDK (meson setup $RINGDNS_BUILD --buildtype=release; ninja -C $RINGDNS_BUILD)"
done
mkdir -p "$OUT" "$RESULTS_DIR"
NCPU=$(nproc)
TAG=$(( $$ % 10000 ))
NS=rdm-$TAG
TMP=$(mktemp -d /tmp/ringdns-dpdk-bench.XXXXXX)
RAW=$TMP/raw.tsv
: > "$RAW"
SPID="" GPIDS=() HUGE_SAVED="" NS_UP=0

# ---- cleanup: generators, then the server (memif's server side must not
# outlive... see dpdk_gen.c), the namespace, hugepages ----------------------
cleanup() {
  local rc=$? p i
  set +e
  trap - EXIT
  trap "" INT TERM   # a second Ctrl-C or a TERM must not cut the cleanup short
  [[ -n $SPID ]] && server_stop
  for p in "${GPIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${GPIDS[@]}"; do
    for ((i = 0; i < 50; i++)); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null
  done
  [[ $NS_UP == 1 ]] && ip netns del "$NS"
  if mountpoint -q "$TMP/huge" 2>/dev/null; then umount "$TMP/huge"; fi
  [[ -n $HUGE_SAVED ]] && echo "$HUGE_SAVED" > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
  rm -rf "$TMP" /var/run/dpdk/rdm"$TAG"-*
  exit $rc
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# ---- set-up ------------------------------------------------------------------
EAL_MEM=(--no-huge --no-shconf)
huge_up() { # pages: reserve 2 MB pages and mount them for --in-memory
  local f=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
  HUGE_SAVED=$(cat $f)
  echo "$1" > $f
  [[ $(cat $f) -ge $1 ]] || die "could reserve only $(cat $f) of $1 hugepages"
  mkdir -p "$TMP/huge"
  mount -t hugetlbfs nodev "$TMP/huge"
  EAL_MEM=(--in-memory --huge-dir "$TMP/huge")
  log "hugepages: $1 x 2 MB reserved (was $HUGE_SAVED, restored at exit)"
}

zone_file() { # the server_gen.py zone of NAMES names, serial $1
  local z=$ROOT/$OUT/server-zone-$NAMES.zone
  if [[ ! -s $z || bench/server_gen.py -nt $z ]] || ! tail -n 1 "$z" | grep -q "^; server_gen: $NAMES names"; then
    log "generating $z"
    $PY bench/server_gen.py zone "$NAMES" 1 > "$z.tmp" && mv "$z.tmp" "$z"
  fi
  echo "$z"
}
query_file() { # class -> path: hits (A of existing names), nxdomain
               # (random names under the zone), mix (server_gen.py's mix)
  local q=$TMP/q-$1.txt
  if [[ ! -s $q ]]; then
    case $1 in
      mix) $PY bench/server_gen.py queries "$NAMES" "$QUERIES" 1 > "$q" ;;
      hits|nxdomain) $PY - "$1" "$NAMES" "$QUERIES" > "$q" <<'EOF'
import random, sys
kind, n, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
r = random.Random(1)
if kind == "hits":
    out = (f"h{r.randrange(n)}.bench.test. A" for _ in range(count))
else:
    out = (f"nx{r.getrandbits(40):x}.bench.test. A" for _ in range(count))
sys.stdout.write("\n".join(out) + "\n")
EOF
      ;;
      *) die "unknown query class $1" ;;
    esac
  fi
  echo "$q"
}

# ---- the server -------------------------------------------------------------
# server_start ZONE NWORKERS: ringdns in $NS, worker lcores 1..N on
# vCPUs (SRV_CPU.. for one), main lcore on $GEN_CPU, N memif server ports
server_start() {
  local zone=$1 n=$2 lcores vdevs=() i
  # lcore 0 (main) on $GEN_CPU; worker lcore i on vCPU $SRV_CPU for one,
  # else on vCPU i (modulo the vCPUs, when oversubscribed)
  if [[ $n == 1 ]]; then
    lcores="0@$GEN_CPU,1@$SRV_CPU"
  else
    lcores="0@$GEN_CPU"
    for ((i = 1; i <= n; i++)); do lcores+=",$i@$(( i % NCPU ))"; done
  fi
  local mem=("${EAL_MEM[@]}")
  for ((i = 0; i < n; i++)); do
    if [[ $ZC == 1 ]]; then   # the generator made the socket
      # (ring size left to memif: zero-copy fills its rings from the port's pool)
      vdevs+=(--vdev "net_memif$i,role=client,id=$i,socket=$TMP/memif$i.sock,socket-abstract=no,zero-copy=yes")
    else
      vdevs+=(--vdev "net_memif$i,role=server,id=$i,socket=$TMP/memif$i.sock,socket-abstract=no")
    fi
  done
  # zero-copy shares the mbufs' memory with the memif server: hugepage
  # files it can map, one per segment list
  [[ $ZC == 1 ]] && mem=(--single-file-segments --huge-dir "$TMP/huge")
  [[ $ZC == 1 ]] || rm -f "$TMP"/memif*.sock
  SRV_EAL="--lcores $lcores --main-lcore 0 --no-pci ${mem[*]} -m $((512 + 64 * n)) --file-prefix rdm$TAG-s ${vdevs[*]}"
  # SERVER_ARGS: more of ringdns's options (e.g. "--rate-limit 100000
  # --rate-limit-log-only": rate limiting's bookkeeping on every answer)
  # shellcheck disable=SC2086
  setsid ip netns exec "$NS" "$RINGDNS" --io dpdk --address $SADDR --workers "$n" --tcp-workers 1 \
    --zone "bench.test.=$zone" --control-socket "$TMP/ctl.sock" ${SERVER_ARGS:-} -- \
    --lcores "$lcores" --main-lcore 0 --no-pci "${mem[@]}" -m $((512 + 64 * n)) \
    --file-prefix "rdm$TAG-s" "${vdevs[@]}" < /dev/null > "$TMP/server.log" 2>&1 &
  SPID=$!
  for ((i = 0; i < 1200; i++)); do
    grep -q "serving 1 zones" "$TMP/server.log" 2>/dev/null && return 0
    kill -0 "$SPID" 2>/dev/null || break
    sleep 0.1
  done
  tail -n 20 "$TMP/server.log" >&2
  die "ringdns did not start"
}
server_stop() {
  local i
  kill -TERM "$SPID" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do kill -0 "$SPID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$SPID" 2>/dev/null || true
  wait "$SPID" 2>/dev/null || true
  SPID=""
}
server_alive() { kill -0 "$SPID" 2>/dev/null || { tail -n 20 "$TMP/server.log" >&2; die "ringdns died"; }; }
# "TX_FULL RX_MISSED": frames the server's ports did not take, and frames
# its ports found no room for (its lcore fell behind)
server_losses() {
  "$RINGCTL" -s "$TMP/ctl.sock" stats --json | $PY -c '
import json, sys
t = json.load(sys.stdin)["total"]
print(t["io"]["tx_full"], t["ports"]["rx_missed"])'
}
# "busy_cycles cycles responses": the lcores' counters now
server_counters() {
  "$RINGCTL" -s "$TMP/ctl.sock" stats --json | $PY -c '
import json, sys
t = json.load(sys.stdin)["total"]
print(t["io"]["busy_cycles"], t["io"]["cycles"], t["responses"]["udp"])'
}

# ---- the generators ---------------------------------------------------------
# gen_start K CPU QFILE NQUEUES SECONDS RATE: generator K in the background
ZC=0   # 1: ringdns is the memif client, in zero-copy mode
gen_start() {
  local vdev="net_memif0,role=client,id=$1,socket=$TMP/memif$1.sock,socket-abstract=no,rsize=$RSIZE"
  [[ $ZC == 1 ]] && vdev="net_memif0,role=server,id=$1,socket=$TMP/memif$1.sock,socket-abstract=no"
  taskset -c "$2" "$GEN" -l "$2" --no-pci "${EAL_MEM[@]}" -m 256 --file-prefix "rdm$TAG-g$1" \
    --vdev "$vdev" -- \
    --queries "$3" --dst $SADDR --src $CADDR --queues "$4" --seconds "$5" --rate "$6" \
    --do "$DO_PCT" > "$TMP/gen$1.out" 2> "$TMP/gen$1.err" &
  GPIDS+=($!)
}
gen_wait() { # waits for every generator (bounded by their run time + 60 s)
  local p i
  for p in "${GPIDS[@]}"; do
    for ((i = 0; i < 600 * 10; i++)); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  GPIDS=()
}
gen_result() { # K KEY -> the value from generator K's totals line
  local line
  line=$(grep '^sent=' "$TMP/gen$1.out" | tail -n 1)
  [[ -n $line ]] || { cat "$TMP/gen$1.err" >&2; die "generator $1 gave no totals"; }
  tr ' ' '\n' <<<"$line" | awk -F= -v k="$2" '$1 == k {print $2}'
}

rec() { printf '%s\t%s\t%s\t%s\t%s\n' "$@" >> "$RAW"; }   # part class run key value
check_load() {
  local idle
  idle=$(top -bn2 -d 0.5 | awk '/^%Cpu/ {n++; if (n == 2) for (i = 1; i < NF; i++) if ($(i+1) ~ /^id/) print $i}' | tr -d ',')
  awk -v i="${idle:-0}" 'BEGIN {exit !(i < 80)}' && log "WARNING: foreign load before $1: idle ${idle:-?}%"
  return 0
}

# ---- parts -----------------------------------------------------------------
# one measurement: N generators at RATE for SECS; records the answers, the
# server's busy cycles per answer and busy share over the window
measure() { # part class run nlcores rate secs qfile
  local part=$1 class=$2 run=$3 n=$4 rate=$5 secs=$6 q=$7 k b0 c0 r0 b1 c1 r1
  read -r b0 c0 r0 <<<"$(server_counters)"
  for ((k = 0; k < n; k++)); do
    gen_start "$k" "$(( n == 1 ? GEN_CPU : (n + 1 + k) % NCPU ))" "$q" "$n" "$secs" "$rate"
  done
  [[ ${PROF:-0} == 1 ]] && profile "$part" "$class" "$run" "$secs"
  gen_wait
  server_alive
  read -r b1 c1 r1 <<<"$(server_counters)"
  local sent=0 got=0 persec=0
  for ((k = 0; k < n; k++)); do
    sent=$(( sent + $(gen_result "$k" sent) ))
    got=$(( got + $(gen_result "$k" answered) ))
    persec=$(awk -v a="$persec" -v b="$(gen_result "$k" answered_per_s)" 'BEGIN {print a + b}')
  done
  rec "$part" "$class" "$run" "lcores" "$n"
  rec "$part" "$class" "$run" "sent" "$sent"
  rec "$part" "$class" "$run" "answered" "$got"
  rec "$part" "$class" "$run" "answered_per_s" "$persec"
  rec "$part" "$class" "$run" "per_lcore" "$(awk -v a="$persec" -v n="$n" 'BEGIN {printf "%.0f", a / n}')"
  rec "$part" "$class" "$run" "cycles_per_answer" "$(awk -v b=$((b1 - b0)) -v r=$((r1 - r0)) 'BEGIN {printf "%.0f", r ? b / r : 0}')"
  rec "$part" "$class" "$run" "busy_pct" "$(awk -v b=$((b1 - b0)) -v c=$((c1 - c0)) 'BEGIN {printf "%.1f", c ? 100 * b / c : 0}')"
  log "$part $class run $run, $n lcore(s): $got/$sent answered, $persec/s, busy $(awk -v b=$((b1 - b0)) -v c=$((c1 - c0)) 'BEGIN {printf "%.1f", c ? 100 * b / c : 0}') %, $(awk -v b=$((b1 - b0)) -v r=$((r1 - r0)) 'BEGIN {printf "%.0f", r ? b / r : 0}') busy cycles/answer"
}

# profile part class run secs: perf samples of the first worker lcore's
# thread over the middle of the window, split by where the cycles go
profile() {
  local tid
  tid=$(ps -L -o tid=,comm= -p "$SPID" | awk '$2 ~ /^rte-worker/ {print $1; exit}')
  [[ -n $tid ]] || { log "profile: no rte-worker thread"; return 0; }
  sleep 1
  perf record -q -e cpu-clock -F 10000 -t "$tid" -o "$TMP/perf.data" -- sleep $(( $4 > 4 ? $4 - 3 : 1 )) > /dev/null 2>&1 || { log "profile: perf record failed"; return 0; }
  perf report -i "$TMP/perf.data" --stdio --sort dso,sym -q > "$TMP/perf.txt" 2> /dev/null
  $PY - "$1" "$2" "$3" "$TMP/perf.txt" >> "$RAW" <<'EOF'
import re, sys
part, cls, run, report = sys.argv[1:5]
# I/O: the PMD and mbufs (every librte_*) and the backend's own moves;
# L2-L4: pkt.c; loop: the worker and RCU; engine: the rest of ringdns
io_fn = re.compile(r"^(dpdk_|tx_flush|rx_one|punt_|kernel_forward|poll_)")
l24_fn = re.compile(r"^(pkt_|udp_classify|arp_|nd_|icmp|echo|csum|ip4_|ip6_|eth_|l3_|l2_)")
loop_fn = re.compile(r"^(wk_|rcu_|dp_run)")
share = {"io": 0.0, "l2l4": 0.0, "engine": 0.0, "loop": 0.0, "other": 0.0}
for line in open(report):
    m = re.match(r"\s*([0-9.]+)%\s+(\S+)\s+\[.\]\s+(\S+)", line)
    if not m:
        continue
    pct, dso, sym = float(m.group(1)), m.group(2), m.group(3).split(".")[0]
    if dso.startswith("librte_"):
        k = "io"
    elif dso.startswith("liburcu"):
        k = "loop"
    elif dso == "ringdns":
        k = ("io" if io_fn.match(sym) else "l2l4" if l24_fn.match(sym)
             else "loop" if loop_fn.match(sym) else "engine")
    else:
        k = "other"   # libc (memcpy), the kernel
    share[k] += pct
for k, v in share.items():
    print(f"{part}\t{cls}\t{run}\tprof_{k}\t{v:.1f}")
EOF
}

part_ceiling() {
  local z r c
  z=$(zone_file)
  for c in $CLASSES; do query_file "$c" > /dev/null; done
  server_start "$z" 1
  for ((r = 1; r <= RUNS; r++)); do
    for c in $CLASSES; do
      check_load "ceiling $c run $r"
      PROF=0
      [[ $r == 1 && $PROFILE == 1 ]] && command -v perf > /dev/null && PROF=1
      measure ceiling "$c" "$r" 1 0 "$SECS" "$(query_file "$c")"
    done
  done
  server_stop
}

# ceiling-zc: one ringdns start per window (a memif client cannot outlive
# its server, the generator); answers/s and cycles from ringdns's counters
# over SECS seconds once it serves and the generator has had 2 s
part_ceiling_zc() {
  local z r c q t0 t1 b0 c0 r0 b1 c1 r1
  [[ $HUGE == 1 ]] || { log "ceiling-zc: needs HUGE=1 (zero-copy shares hugepage files): skipped"; return 0; }
  z=$(zone_file)
  for c in $CLASSES; do query_file "$c" > /dev/null; done
  ZC=1
  for ((r = 1; r <= RUNS; r++)); do
    for c in $CLASSES; do
      q=$(query_file "$c")
      check_load "ceiling-zc $c run $r"
      rm -f "$TMP/memif0.sock"
      gen_start 0 "$GEN_CPU" "$q" 1 $((SECS + 8)) 0
      for ((t0 = 0; t0 < 50; t0++)); do [[ -S $TMP/memif0.sock ]] && break; sleep 0.1; done
      server_start "$z" 1
      sleep 2
      t0=$(date +%s.%N); read -r b0 c0 r0 <<<"$(server_counters)"
      [[ $r == 1 && $PROFILE == 1 ]] && command -v perf > /dev/null && profile ceiling-zc "$c" "$r" "$SECS"
      sleep $(( r == 1 && PROFILE == 1 ? 2 : SECS ))
      t1=$(date +%s.%N); read -r b1 c1 r1 <<<"$(server_counters)"
      server_stop
      gen_wait
      if (( r1 - r0 == 0 )); then
        tail -n 5 "$TMP/gen0.err" "$TMP/server.log" >&2
        die "ceiling-zc $c run $r: no answer in the window"
      fi
      local persec
      persec=$(awk -v r=$((r1 - r0)) -v a="$t0" -v b="$t1" 'BEGIN {printf "%.0f", r / (b - a)}')
      rec ceiling-zc "$c" "$r" answered_per_s "$persec"
      rec ceiling-zc "$c" "$r" cycles_per_answer "$(awk -v b=$((b1 - b0)) -v r=$((r1 - r0)) 'BEGIN {printf "%.0f", r ? b / r : 0}')"
      rec ceiling-zc "$c" "$r" busy_pct "$(awk -v b=$((b1 - b0)) -v c=$((c1 - c0)) 'BEGIN {printf "%.1f", c ? 100 * b / c : 0}')"
      log "ceiling-zc $c run $r: $persec answers/s, busy $(awk -v b=$((b1 - b0)) -v c=$((c1 - c0)) 'BEGIN {printf "%.1f", c ? 100 * b / c : 0}') %, $(awk -v b=$((b1 - b0)) -v r=$((r1 - r0)) 'BEGIN {printf "%.0f", r ? b / r : 0}') busy cycles/answer"
    done
  done
  ZC=0
}

part_reload() {
  local z q i served=0 t0 t1
  z=$(zone_file); q=$(query_file mix)
  cp "$z" "$TMP/zone"
  server_start "$TMP/zone" 1
  local secs=$(( RELOADS * 6 + 10 )) f0 m0 f1 m1
  read -r f0 m0 <<<"$(server_losses)"
  gen_start 0 "$GEN_CPU" "$q" 1 "$secs" "$RELOAD_RATE"
  sleep 3
  t0=$(date +%s.%N)
  for ((i = 2; i <= RELOADS + 1; i++)); do
    sed "3s/hostmaster 1 /hostmaster $i /" "$z" > "$TMP/zone.new" && mv "$TMP/zone.new" "$TMP/zone"
    "$RINGCTL" -s "$TMP/ctl.sock" reload bench.test. > /dev/null || die "reload $i failed: $(tail -n 5 "$TMP/server.log")"
    "$RINGCTL" -s "$TMP/ctl.sock" zones | awk -v s="$i" '$1 == "bench.test." && $2 == s {f = 1} END {exit !f}' &&
      served=$((served + 1))
    sleep 1
  done
  t1=$(date +%s.%N)
  log "reload: $RELOADS reloads in $(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", b - a}') s, $served answered with their new serial; waiting for the generator"
  gen_wait
  server_alive
  read -r f1 m1 <<<"$(server_losses)"
  rec reload mix 1 tx_full $(( f1 - f0 ))
  rec reload mix 1 rx_missed $(( m1 - m0 ))
  rec reload mix 1 reloads "$RELOADS"
  rec reload mix 1 reloads_served "$served"
  rec reload mix 1 rate "$RELOAD_RATE"
  rec reload mix 1 sent "$(gen_result 0 sent)"
  rec reload mix 1 answered "$(gen_result 0 answered)"
  rec reload mix 1 lost "$(gen_result 0 lost)"
  log "reload: $(grep '^sent=' "$TMP/gen0.out")"
  server_stop
}

part_scaling() {
  local z q n r
  z=$(zone_file); q=$(query_file mix)
  for n in $LCORES; do
    if (( 2 * n > NCPU )) && [[ ${OVERSUBSCRIBE:-0} != 1 ]]; then
      log "scaling: $n lcores need $((2 * n)) vCPUs (an lcore and a generator each), this machine has $NCPU: skipped"
      continue
    fi
    server_start "$z" "$n"
    for ((r = 1; r <= RUNS; r++)); do
      check_load "scaling $n run $r"
      measure scaling "lcores-$n" "$r" "$n" 0 "$SECS" "$q"
    done
    server_stop
  done
}

# ---- run ---------------------------------------------------------------------
ip netns add "$NS"; NS_UP=1
ip -n "$NS" link set lo up
if [[ $HUGE == 1 ]]; then
  maxn=1
  for n in $LCORES; do (( n > maxn )) && maxn=$n; done
  [[ " $PARTS " == *" scaling "* ]] || maxn=1
  huge_up $(( (512 + 64 * maxn + 256 * maxn) / 2 + 128 ))
fi
T_START=$(date +%s)
for part in $PARTS; do
  [[ $part =~ ^(ceiling|ceiling-zc|reload|scaling)$ ]] || die "unknown part $part"
  log "== $part"
  "part_${part/-/_}"
done

# ---- report ------------------------------------------------------------------
CPU_MODEL=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')
TSC_MHZ=$(awk '/^cpu MHz/ {print $4; exit}' /proc/cpuinfo)
cat > "$TMP/head.md" <<EOF
# DPDK server benchmark: net_memif, dpdk_gen

- date: $(date -u +%Y-%m-%dT%H:%MZ), took $(( $(date +%s) - T_START )) s
- host: $NCPU vCPUs, $CPU_MODEL, kernel $(uname -r), TSC $TSC_MHZ MHz
- ringdns: git $(git describe --always --dirty 2>/dev/null || echo unknown), binaries from $RINGDNS_BUILD/; DPDK $(pkg-config --modversion libdpdk 2>/dev/null || echo '?')
- server: ringdns --io dpdk --address $SADDR --workers N ${SERVER_ARGS:-} -- ${SRV_EAL:-}
- one lcore: its worker on vCPU $SRV_CPU, the main lcore, ringdns-control and dpdk_gen on vCPU $GEN_CPU; hugepages: $HUGE; memif rings 2^$RSIZE
- zone: bench.test., $NAMES names (bench/server_gen.py); queries: $QUERIES per class, EDNS on all, DO on $DO_PCT %; hits: A of existing names; nxdomain: random names; mix: server_gen.py's (88 % A hits, 2 % MX/TXT, 10 % NXDOMAIN)
- RUNS=$RUNS SECS=$SECS (classes interleaved; median, all runs in brackets)

EOF
$PY - "$RAW" "$TMP/head.md" > "$TMP/results.md" <<'EOF'
import statistics, sys
raw, head = sys.argv[1:3]
rows = [l.rstrip("\n").split("\t") for l in open(raw) if l.strip()]
sys.stdout.write(open(head).read())
def table(part, title, cols):
    classes = []
    for p, c, *_ in rows:
        if p == part and c not in classes:
            classes.append(c)
    if not classes:
        return
    print(f"## {title}\n")
    print("| class | " + " | ".join(h for _, h in cols) + " |")
    print("|---" * (len(cols) + 1) + "|")
    for c in classes:
        cells = []
        for key, _ in cols:
            v = [float(r[4]) for r in rows if r[0] == part and r[1] == c and r[3] == key and r[4] != ""]
            if not v:
                cells.append("")
                continue
            m = statistics.median(v)
            fmt = (lambda x: f"{x:,.0f}") if max(v) >= 100 else (lambda x: f"{x:g}")
            cells.append(fmt(m) + (" [" + ", ".join(fmt(x) for x in v) + "]" if len(v) > 1 else ""))
        print(f"| {c} | " + " | ".join(cells) + " |")
    print()
table("ceiling", "Ceiling: one lcore, generator as fast as the port takes",
      [("answered_per_s", "answers/s"), ("cycles_per_answer", "busy cycles/answer"),
       ("busy_pct", "lcore busy %"), ("sent", "sent"), ("answered", "answered")])
table("ceiling", "Where the lcore's cycles go (perf samples in run 1, % of the lcore's; its idle polls count as I/O)",
      [("prof_io", "I/O: PMD, mbufs, rx/tx"), ("prof_l2l4", "L2-L4 (pkt.c)"),
       ("prof_engine", "engine"), ("prof_loop", "loop, RCU"), ("prof_other", "libc, kernel")])
table("ceiling-zc", "Ceiling, zero-copy memif: one lcore, ringdns the memif client (its own mbufs, as a NIC's)",
      [("answered_per_s", "answers/s"), ("cycles_per_answer", "busy cycles/answer"),
       ("busy_pct", "lcore busy %")])
table("ceiling-zc", "Where the lcore's cycles go, zero-copy memif (perf samples in run 1)",
      [("prof_io", "I/O: PMD, mbufs, rx/tx"), ("prof_l2l4", "L2-L4 (pkt.c)"),
       ("prof_engine", "engine"), ("prof_loop", "loop, RCU"), ("prof_other", "libc, kernel")])
table("reload", "Hot reloads under load",
      [("reloads", "reloads"), ("reloads_served", "new serial served"), ("rate", "offered q/s"),
       ("sent", "sent"), ("answered", "answered"), ("lost", "unanswered"),
       ("tx_full", "server: tx full"), ("rx_missed", "server: rx missed")])
table("scaling", "Scaling: N lcores, N generators",
      [("answered_per_s", "answers/s"), ("per_lcore", "answers/s per lcore"),
       ("cycles_per_answer", "busy cycles/answer"), ("busy_pct", "lcores busy %")])
EOF
cp "$TMP/results.md" "$RESULTS"
cp "$RAW" "$RESULTS_DIR/dpdk-raw.tsv"
cat "$RESULTS"
echo
echo "saved: $RESULTS (per-run values: $RESULTS_DIR/dpdk-raw.tsv)"
