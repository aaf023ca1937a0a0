#!/usr/bin/env bash
# deploy/demo.sh - the anycast set-up of doc/anycast.md on one machine:
# two network namespaces joined by a veth pair, the upstream router (BIRD)
# in one, a node (ringdns on the bundled example zone, BIRD running
# deploy/bird.conf, deploy/ringdns-announce) in the other; the service
# prefix 198.19.53.0/24 is announced to the upstream while `ringctl health`
# passes.  Addresses from the benchmarking range 198.18.0.0/15 only.
#
#   sudo deploy/demo.sh up      # start it all (needs root, ip, bird2, a build in build/)
#   sudo deploy/demo.sh show    # the upstream's route, a query over it, health
#   sudo deploy/demo.sh down    # stop everything, delete the namespaces
#
# Try: `kill -STOP $(cat /tmp/ringdns-demo/ringdns.pid)` then `show` (the
# route is gone within a second), `kill -CONT ...` then `show` again.
set -euo pipefail
cd "$(dirname "$0")/.."
D=/tmp/ringdns-demo
UP=rdnsdemo-up NODE=rdnsdemo-node
BUILD=${BUILD:-build}

start() {	# name, namespace, command...: in the background, its PID kept
	local name=$1 ns=$2
	shift 2
	ip netns exec "$ns" "$@" >"$D/$name.log" 2>&1 &
	echo $! >"$D/$name.pid"
}

up() {
	mkdir -p "$D"
	ip netns add $UP
	ip netns add $NODE
	ip -n $UP link set lo up
	ip -n $NODE link set lo up
	ip link add rdnsdemo0 netns $UP type veth peer name rdnsdemo1 netns $NODE
	ip -n $UP addr add 198.18.0.1/30 dev rdnsdemo0
	ip -n $NODE addr add 198.18.0.2/30 dev rdnsdemo1
	ip -n $UP link set rdnsdemo0 up
	ip -n $NODE link set rdnsdemo1 up
	ip -n $NODE addr add 198.19.53.1/32 dev lo	# the anycast service address
	cat >"$D/upstream.conf" <<EOF
log "$D/bird-up.log" all;
router id 198.18.0.1;
protocol device { }
protocol kernel { ipv4 { export all; }; }
protocol bgp node {
    local as 64511;
    neighbor 198.18.0.2 as 64512;
    ipv4 { import all; export none; };
}
EOF
	sed "s|router id 198.18.0.2;|router id 198.18.0.2;|; s|log syslog all;|log \"$D/bird-node.log\" all;|" \
		deploy/ringdns-site.conf.example >"$D/ringdns-site.conf"
	sed "s|/etc/bird/ringdns-site.conf|$D/ringdns-site.conf|" deploy/bird.conf >"$D/node.conf"
	start bird-up $UP bird -f -c "$D/upstream.conf" -s "$D/bird-up.ctl"
	start bird-node $NODE bird -f -c "$D/node.conf" -s "$D/bird-node.ctl"
	cat >"$D/ringdns.yaml" <<EOF
server:
  listen: "198.19.53.1:53"
  workers: 1
zones:
  - name: example.com.
    file: $PWD/zones/examples/example.com.zone
EOF
	start ringdns $NODE "$BUILD/dataplane/ringdns" --config "$D/ringdns.yaml" \
		--control-socket "$D/ctl.sock"
	start announce $NODE deploy/ringdns-announce --ringctl "$BUILD/control/ringctl" \
		--ringctl-socket "$D/ctl.sock" --bird-socket "$D/bird-node.ctl" --interval 0.2
	echo "started; the route comes in a few seconds: $0 show"
}

show() {
	echo "== the upstream's route to the service prefix"
	birdc -s "$D/bird-up.ctl" show route 198.19.53.0/24 || true
	echo "== a query from the upstream to the anycast address"
	ip netns exec $UP dig +time=1 +tries=1 @198.19.53.1 example.com SOA +short || true
	echo "== ringctl health"
	ip netns exec $NODE "$BUILD/control/ringctl" -s "$D/ctl.sock" health || true
}

down() {
	for p in announce ringdns bird-node bird-up; do
		[ -f "$D/$p.pid" ] && kill "$(cat "$D/$p.pid")" 2>/dev/null || true
	done
	sleep 1
	ip netns del $UP 2>/dev/null || true
	ip netns del $NODE 2>/dev/null || true
	rm -rf "$D"
}

case "${1:-}" in
up) up ;;
show) show ;;
down) down ;;
*) echo "usage: $0 up|show|down" >&2; exit 2 ;;
esac
