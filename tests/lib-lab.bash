# A BGP lab in network namespaces for the end-to-end tests: one router running
# BIRD 2, N hosts running ExaBGP with an hc pipeline and a real HTTP service on
# the VIP, and a client behind the router.  Only documentation addresses:
#   hosts segment 192.0.2.0/24   router 192.0.2.1, host i 192.0.2.1i
#   client link   198.51.100.0/24 router 198.51.100.1, client 198.51.100.2
#   VIP           203.0.113.10/32 on every host's loopback
# Every daemon is started by these helpers, recorded, and stopped by PID in
# lab_down, which also deletes the namespaces.  Needs wait_until
# (tests/lib-wait.bash), exabgp_select and exabgp_env (tests/lib-exabgp.bash)
# and HC_BIN (tests/test_helper.bash); LAB_TMP (default $BATS_TEST_TMPDIR)
# holds configs, logs and PID files.

# shellcheck source=tests/lib-exabgp.bash
source "$(dirname "${BASH_SOURCE[0]}")/lib-exabgp.bash"

LAB_VIP=203.0.113.10
LAB_ROUTER_AS=65000
LAB_HOST_AS=65001
# shellcheck disable=SC2034 # used by the tests
H1=192.0.2.11 H2=192.0.2.12 H3=192.0.2.13

# lab_require: skips the test unless the lab can run here: root, iproute2,
# the ExaBGP $HC_EXABGP names (exabgp_select; Debian's 4.2 by default) and
# BIRD, and HC_E2E not 0 (make distcheck sets it to 0, since the main run has
# already exercised the lab).
lab_require() {
	[[ ${HC_E2E:-1} != 0 ]] || skip "end-to-end tests switched off (HC_E2E=0)"
	require_root_netns
	exabgp_select
	command -v bird >/dev/null || skip "needs bird2"
}

# lab_ns NAME: the namespace name for router, client or hI in this lab.
lab_ns() {
	echo "${LAB}-$1"
}

# lab_host_addr I: host I's address on the hosts segment.
lab_host_addr() {
	echo "192.0.2.$((10 + $1))"
}

# lab_up N: creates the namespaces and links for N hosts and starts BIRD.
lab_up() {
	local n=$1 i r
	LAB="hcl$$"
	LAB_DIR="${LAB_TMP:-$BATS_TEST_TMPDIR}/lab"
	LAB_HOSTS=$n
	mkdir -p "$LAB_DIR"
	chmod 755 "$LAB_DIR"
	r=$(lab_ns r)
	ip netns add "$r"
	ip -n "$r" link set lo up
	ip -n "$r" link add br0 type bridge
	ip -n "$r" addr add 192.0.2.1/24 dev br0
	ip -n "$r" link set br0 up
	ip netns exec "$r" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.fib_multipath_hash_policy=1

	ip netns add "$(lab_ns c)"
	ip -n "$(lab_ns c)" link set lo up
	ip -n "$r" link add cl type veth peer name eth0 netns "$(lab_ns c)"
	ip -n "$r" addr add 198.51.100.1/24 dev cl
	ip -n "$r" link set cl up
	ip -n "$(lab_ns c)" addr add 198.51.100.2/24 dev eth0
	ip -n "$(lab_ns c)" link set eth0 up
	ip -n "$(lab_ns c)" route add default via 198.51.100.1

	for ((i = 1; i <= n; i++)); do
		lab_host_add "$i" r 24 192.0.2.1
	done
	lab_bird_start
}

# lab_host_add I ROUTER LEN GATEWAY: host I's namespace, the VIP on its
# loopback, and its link into ROUTER's (lab_ns ROUTER) bridge br0, with
# address lab_host_addr I / LEN and a default route via GATEWAY.
lab_host_add() {
	local i=$1 r h
	r=$(lab_ns "$2")
	h=$(lab_ns "h$i")
	ip netns add "$h"
	ip -n "$h" link set lo up
	ip -n "$h" addr add "$LAB_VIP/32" dev lo
	ip -n "$r" link add "h$i" type veth peer name eth0 netns "$h"
	ip -n "$r" link set "h$i" master br0
	ip -n "$r" link set "h$i" up
	ip -n "$h" addr add "$(lab_host_addr "$i")/$3" dev eth0
	ip -n "$h" link set eth0 up
	ip -n "$h" route add default via "$4"
}

# lab_up_serving N CONF: lab_up N, then on every host the HTTP service and
# ExaBGP with CONF; returns once all N hosts are in the router's FIB.
lab_up_serving() {
	local n=$1 conf=$2 i hosts=()
	lab_up "$n"
	for ((i = 1; i <= n; i++)); do
		lab_service_start "$i"
		lab_exabgp_start "$i" "$conf"
		hosts+=("$(lab_host_addr "$i")")
	done
	wait_until 60 lab_nexthops_are "${hosts[@]}"
}

# lab_bird_start: BIRD in the router namespace, passive eBGP to every host,
# ECMP (merge paths) into the router's kernel table, and what the ExaBGP
# under test needs of BIRD (exabgp_bird_needs).  LAB_BIRD_HOSTS_EXTRA,
# if set, is added to the hosts' template (another channel, say) and
# LAB_BIRD_EXTRA to the end of the configuration.
lab_bird_start() {
	local i conf="$LAB_DIR/bird.conf"
	{
		echo "router id 192.0.2.1;"
		echo "log \"$LAB_DIR/bird.log\" all;"
		echo "protocol device { scan time 10; }"
		echo "protocol kernel {"
		echo "  ipv4 { import none; export filter { if source = RTS_BGP then accept; reject; }; };"
		echo "  merge paths on;"
		echo "}"
		echo "template bgp hosts {"
		echo "  local as $LAB_ROUTER_AS;"
		echo "  passive on;"
		echo "  hold time 9; keepalive time 3;"
		echo "  $(exabgp_bird_needs)"
		echo "  ipv4 { import filter { if net ~ [ 203.0.113.0/24{32,32} ] then accept; reject; }; export none; };"
		[[ -z ${LAB_BIRD_HOSTS_EXTRA:-} ]] || echo "$LAB_BIRD_HOSTS_EXTRA"
		echo "}"
		for ((i = 1; i <= LAB_HOSTS; i++)); do
			echo "protocol bgp h$i from hosts { neighbor $(lab_host_addr "$i") as $LAB_HOST_AS; }"
		done
		[[ -z ${LAB_BIRD_EXTRA:-} ]] || echo "$LAB_BIRD_EXTRA"
	} >"$conf"
	lab_bird_run r "$conf" bird
}

# lab_bird_run ROUTER CONF NAME: BIRD with CONF in ROUTER's namespace, its
# socket and PID file $LAB_DIR/NAME.ctl and NAME.pid; returns once it runs.
lab_bird_run() {
	ip netns exec "$(lab_ns "$1")" bird -c "$2" -s "$LAB_DIR/$3.ctl" -P "$LAB_DIR/$3.pid"
	wait_until 10 test -s "$LAB_DIR/$3.pid"
}

# lab_birdc COMMAND...: runs a BIRD CLI command on the router.
lab_birdc() {
	birdc -s "$LAB_DIR/bird.ctl" "$@"
}

# lab_service_start I [ADDR [NAME]]: a real HTTP server on ADDR:80 (the VIP
# by default; an IPv6 address works too) in host I, its PID and log under
# NAME (default wwwI); /health says ok, / names the host.  (http.server's own
# server_bind looks up the host's FQDN, which in a namespace without DNS
# costs seconds; this one skips that.)
lab_service_start() {
	local i=$1 addr=${2:-$LAB_VIP} name=${3:-www$1} dir="$LAB_DIR/www$1"
	mkdir -p "$dir"
	echo "h$i" >"$dir/index.html"
	echo ok >"$dir/health"
	ip netns exec "$(lab_ns "h$i")" "${HC_PYTHON:-python3}" -c '
import functools, http.server, socket, socketserver, sys
class Server(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
    def server_bind(self):
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = sys.argv[1], 80
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[2])
Server((sys.argv[1], 80), handler).serve_forever()
' "$addr" "$dir" 3>&- >"$LAB_DIR/$name.log" 2>&1 &
	echo "$!" >"$LAB_DIR/$name.pid"
	wait_until 30 ip netns exec "$(lab_ns "h$i")" "$HC_BIN/hc-tcp" -t 2s "$addr" 80
}

# lab_service_stop I [NAME]: kills host I's HTTP server NAME (default wwwI) by
# PID and waits until it is gone.
lab_service_stop() {
	local pidfile="$LAB_DIR/${2:-www$1}.pid"
	[[ -s $pidfile ]] || return 0
	kill "$(<"$pidfile")" 2>/dev/null || true
	wait "$(<"$pidfile")" 2>/dev/null || true
	rm -f "$pidfile"
}

# lab_exabgp_start I CONF: ExaBGP ($EXABGP, see lib-exabgp.bash) in host I
# with CONF, an exabgp.conf written for host 1 (192.0.2.11); host I's address
# is substituted.  ExaBGP runs as root, dropping to root for its processes;
# or, as Debian's exabgp.service runs it (User=exabgp), as LAB_EXABGP_USER
# from the start, logging to exabgp-hI.out since that user may not write
# LAB_DIR.
lab_exabgp_start() {
	local i=$1 src=$2 conf="$LAB_DIR/exabgp-h$1.conf" log="$LAB_DIR/exabgp-h$1.log" as_user=()
	sed "s/192\.0\.2\.11\b/$(lab_host_addr "$i")/g" "$src" >"$conf"
	if [[ ${LAB_EXABGP_USER:-root} != root ]]; then
		log=stdout
		as_user=(setpriv --reuid "$LAB_EXABGP_USER" --regid "$LAB_EXABGP_USER" --init-groups)
	fi
	# shellcheck disable=SC2046 # exabgp_env's words are NAME=VALUE pairs
	env $(exabgp_env) exabgp_daemon_user="${LAB_EXABGP_USER:-root}" \
		exabgp_log_destination="$log" exabgp_api_respawn=true \
		PATH="$HC_BIN:$PATH" \
		ip netns exec "$(lab_ns "h$i")" "${as_user[@]}" "${EXABGP:-exabgp}" "$conf" 3>&- >"$LAB_DIR/exabgp-h$i.out" 2>&1 &
	echo "$!" >"$LAB_DIR/exabgp-h$i.pid"
}

# lab_exabgp_stop I [SIGNAL]: stops host I's ExaBGP by PID.
lab_exabgp_stop() {
	local pidfile="$LAB_DIR/exabgp-h$1.pid" sig=${2:-TERM}
	[[ -s $pidfile ]] || return 0
	local pid
	pid=$(<"$pidfile")
	kill "-$sig" "$pid" 2>/dev/null || true
	wait_until 10 bash -c "! kill -0 $pid 2>/dev/null" || kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	rm -f "$pidfile"
}

# lab_nexthops: the router's kernel next-hops for the VIP, sorted, one a line.
lab_nexthops() {
	ip -n "$(lab_ns r)" route show "$LAB_VIP" |
		grep -o 'via [0-9.]*' | awk '{ print $2 }' | sort
}

# lab_nexthops_are ADDR...: true when the router's FIB holds exactly ADDR... for the VIP.
lab_nexthops_are() {
	local want got
	want=$(printf '%s\n' "$@" | sed '/^$/d' | sort)
	got=$(lab_nexthops)
	[[ $got == "$want" ]]
}

# lab_best_via: the next-hop of BIRD's best route to the VIP.
lab_best_via() {
	lab_birdc show route "$LAB_VIP/32" primary | grep -o 'via [0-9.]*' | awk '{ print $2 }' | head -n 1
}

# lab_route_med ADDR: the MED BIRD holds for the VIP from host ADDR ("" if none).
lab_route_med() {
	lab_birdc show route "$LAB_VIP/32" all |
		awk -v via="$1" '/via /{ cur = ($2 == via) } cur && /BGP.med:/ { print $2; exit }'
}

# lab_session_up I: true when BIRD's session with host I is Established.
lab_session_up() {
	lab_birdc show protocols "h$1" | grep -q Established
}

# lab_client_get: one HTTP request from the client to the VIP; prints the body.
lab_client_get() {
	ip netns exec "$(lab_ns c)" "${HC_PYTHON:-python3}" - "$LAB_VIP" <<'PY'
import sys, urllib.request
print(urllib.request.urlopen("http://%s/" % sys.argv[1], timeout=2).read().decode().strip())
PY
}

# lab_down: stops every daemon by PID (every $LAB_DIR/*.pid, BIRD last) and
# deletes the namespaces.
lab_down() {
	[[ -n ${LAB:-} ]] || return 0
	local f pid
	# A failed test shows what its hosts' ExaBGP and pipelines said, and
	# the metrics files (bats prints a teardown's output with the failure).
	if [[ -z ${BATS_TEST_COMPLETED:-} ]]; then
		for f in "$LAB_DIR"/exabgp-h*.out "$LAB_DIR"/exabgp-h*.log "$LAB_DIR"/*.prom; do
			[[ -s $f ]] || continue
			echo "# the last lines of $f:"
			tail -n 25 "$f"
		done
	fi
	for f in "$LAB_DIR"/*.pid; do
		[[ -s $f && $f != */bird.pid ]] || continue
		pid=$(<"$f")
		kill -TERM "$pid" 2>/dev/null || true
	done
	for f in "$LAB_DIR"/*.pid; do
		[[ -s $f && $f != */bird.pid ]] || continue
		[[ -s $f ]] || continue
		pid=$(<"$f")
		wait_until 5 bash -c "! kill -0 $pid 2>/dev/null" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	if [[ -s $LAB_DIR/bird.pid ]]; then
		pid=$(<"$LAB_DIR/bird.pid")
		kill -TERM "$pid" 2>/dev/null || true
		wait_until 5 bash -c "! kill -0 $pid 2>/dev/null" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
	fi
	local ns
	for ns in $(ip netns list | awk '{ print $1 }' | grep "^$LAB-"); do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
		ip netns del "$ns"
	done
	LAB=
}
