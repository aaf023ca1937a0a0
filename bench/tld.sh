#!/usr/bin/env bash
# bench/tld.sh [N]: the TLD-shaped benchmark zone, plain and signed.
#
# Makes bench/out/tld-N.zone (tld_gen.py, N delegations, default 1M) and
# signs it once into bench/out/tld-N.signed.zone with dnssec-signzone:
# ECDSAP256SHA256, a KSK and a ZSK (made once with dnssec-keygen into
# bench/out/tld-keys/), NSEC3 with opt-out, 0 extra iterations and no salt
# (RFC 9276 section 3.1: `-3 - -H 0 -A`), signatures valid from INCEPTION to
# EXPIRY.  Both are cached: the zone is remade when missing, incomplete (no
# "; tld_gen:" last line) or older than tld_gen.py; the signed zone when
# missing or older than the zone or the keys.  Also writes the query files
# bench/out/tld-queries-N-COUNT-SEED.txt (dnsperf) and .flags.txt (kxdpgun,
# with the D/E column), and prints the sizes, the signing time, and what
# `ringctl check-zone`, `kzonecheck` and `nsd-checkzone` say of the signed
# zone (CHECK=0 skips the checks).  See bench/README.md, "tld".
#
# Environment: QUERIES (1000000), SEED (1), CHECK (1), RINGCTL
# (build/control/ringctl), INCEPTION (20260101000000), EXPIRY
# (20361231000000).
set -euo pipefail
cd "$(dirname "$0")/.."

N=${1:-1000000}
[[ $N =~ ^[0-9]+$ ]] || { echo "usage: bench/tld.sh [N]" >&2; exit 2; }
ORIGIN=bench-tld.
QUERIES=${QUERIES:-1000000}
SEED=${SEED:-1}
CHECK=${CHECK:-1}
RINGCTL=${RINGCTL:-build/control/ringctl}
INCEPTION=${INCEPTION:-20260101000000}
EXPIRY=${EXPIRY:-20361231000000}
OUT=bench/out
KEYS=$OUT/tld-keys
ZONE=$OUT/tld-$N.zone
SIGNED=$OUT/tld-$N.signed.zone
QFILE=$OUT/tld-queries-$N-$QUERIES-$SEED
mkdir -p "$OUT" "$KEYS"

tmp=$(mktemp -d "$OUT/tld-tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

mib() { awk -v b="$(stat -c %s "$1")" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f s", b - a }'; }

# The unsigned zone, remade unless complete and newer than the generator.
if [[ ! -s $ZONE || bench/tld_gen.py -nt $ZONE ]] ||
   ! tail -n 1 "$ZONE" | grep -q '^; tld_gen: '; then
	t0=$(date +%s.%N)
	bench/tld_gen.py zone "$N" > "$tmp/zone"
	mv "$tmp/zone" "$ZONE"
	echo "tld.sh: $ZONE made in $(elapsed "$t0")"
fi
echo "tld.sh: $ZONE: $(mib "$ZONE"), $(tail -n 1 "$ZONE" | sed 's/^; //')"

# The query files, the same queries with and without kxdpgun's flags.
if [[ ! -s $QFILE.txt || bench/tld_gen.py -nt $QFILE.txt ]]; then
	bench/tld_gen.py queries "$N" "$QUERIES" "$SEED" > "$tmp/q"
	bench/tld_gen.py queries "$N" "$QUERIES" "$SEED" --flags > "$tmp/qf"
	mv "$tmp/qf" "$QFILE.flags.txt"
	mv "$tmp/q" "$QFILE.txt"
fi
echo "tld.sh: queries in $QFILE.txt and $QFILE.flags.txt"

# The keys, made once: a ZSK and a KSK.
shopt -s nullglob
keys=("$KEYS"/K"$ORIGIN"+013+*.key)
if [[ ${#keys[@]} -eq 0 ]]; then
	dnssec-keygen -q -K "$KEYS" -a ECDSAP256SHA256 -n ZONE "$ORIGIN" >/dev/null
	dnssec-keygen -q -K "$KEYS" -a ECDSAP256SHA256 -n ZONE -f KSK "$ORIGIN" >/dev/null
	keys=("$KEYS"/K"$ORIGIN"+013+*.key)
	echo "tld.sh: new keys in $KEYS"
fi
private=("$KEYS"/K"$ORIGIN"+013+*.private)

stale=0
[[ -s $SIGNED && ! $ZONE -nt $SIGNED ]] || stale=1
for k in "${keys[@]}"; do [[ $k -nt $SIGNED ]] && stale=1; done
if [[ $stale -eq 1 ]]; then
	cat "$ZONE" "${keys[@]}" > "$tmp/in"
	echo "tld.sh: signing $ZONE (dnssec-signzone, NSEC3 opt-out, 0 iterations, no salt)"
	t0=$(date +%s.%N)
	dnssec-signzone -q -t -d "$tmp" -o "$ORIGIN" -s "$INCEPTION" -e "$EXPIRY" -N keep -x \
		-O full -3 - -H 0 -A -f "$tmp/signed" "$tmp/in" "${private[@]}"
	mv "$tmp/signed" "$SIGNED"
	echo "tld.sh: signed in $(elapsed "$t0")"
fi
echo "tld.sh: $SIGNED: $(mib "$SIGNED"), $(grep -vc '^;' "$SIGNED") records"

[[ $CHECK == 1 ]] || exit 0
# Each checker on the signed zone: its exit status, time and last lines;
# the script exits 1 when one fails.
failed=0
check() { # name, command...
	local name=$1 rc=0 t0
	shift
	if ! command -v "$1" >/dev/null && [[ ! -x $1 ]]; then
		echo "tld.sh: $name: $1 not found, skipped"
		return
	fi
	t0=$(date +%s.%N)
	"$@" > "$tmp/check" 2>&1 || rc=$?
	echo "tld.sh: $name: exit $rc in $(elapsed "$t0"):"
	[[ $rc -eq 0 ]] || failed=1
	tail -n 5 "$tmp/check" | sed 's/^/    /'
}
check "ringctl check-zone" "$RINGCTL" check-zone "$ORIGIN" "$SIGNED"
check kzonecheck kzonecheck -o "$ORIGIN" "$SIGNED"
check nsd-checkzone nsd-checkzone "${ORIGIN%.}" "$SIGNED"
exit "$failed"
