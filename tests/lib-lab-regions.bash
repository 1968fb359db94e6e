# Two regions in the lab of tests/lib-lab.bash (load that first), for the
# configurations of examples/multi-region/.  Each region has a router running
# BIRD 2, two hosts and a client; the routers (one AS) talk iBGP over a
# backbone link.  Documentation addresses only:
#   region A  router r  192.0.2.1/28    hosts 1, 2   192.0.2.11, .12
#             client c  198.51.100.2/28 (router 198.51.100.1)
#   region B  router rb 192.0.2.17/28   hosts 11, 12 192.0.2.21, .22
#             client cb 198.51.100.18/28 (router 198.51.100.17)
#   backbone  r 192.0.2.253/30, rb 192.0.2.254/30; static routes between the
#             client subnets stand for the backbone's IGP
# Region A uses the names of the one-router lab (namespaces r and c, BIRD's
# bird.ctl), so lab_birdc, lab_nexthops and lab_client_get work on it.

LAB_ROUTER_A=192.0.2.253 LAB_ROUTER_B=192.0.2.254
# shellcheck disable=SC2034 # used by the tests
H11=192.0.2.21 H12=192.0.2.22

# lab_client_add NAME ROUTER ROUTER_ADDR CLIENT_ADDR LEN: a client namespace
# NAME linked to ROUTER (device cl there), default route via ROUTER_ADDR.
lab_client_add() {
	local c r
	c=$(lab_ns "$1")
	r=$(lab_ns "$2")
	ip netns add "$c"
	ip -n "$c" link set lo up
	ip -n "$r" link add cl type veth peer name eth0 netns "$c"
	ip -n "$r" addr add "$3/$5" dev cl
	ip -n "$r" link set cl up
	ip -n "$c" addr add "$4/$5" dev eth0
	ip -n "$c" link set eth0 up
	ip -n "$c" route add default via "$3"
}

# lab_router_add NAME ADDR/LEN: a router namespace NAME forwarding (ECMP
# hashed on L4), with its hosts' bridge br0 at ADDR/LEN.
lab_router_add() {
	local r
	r=$(lab_ns "$1")
	ip netns add "$r"
	ip -n "$r" link set lo up
	ip -n "$r" link add br0 type bridge
	ip -n "$r" addr add "$2" dev br0
	ip -n "$r" link set br0 up
	ip netns exec "$r" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.fib_multipath_hash_policy=1
}

# lab_regions_up CONF_A CONF_B: both regions' namespaces, links and BIRD,
# region A's router with CONF_A and region B's with CONF_B (BIRD
# configurations for these addresses; a log file is added to each).
lab_regions_up() {
	# shellcheck disable=SC2034 # read by lab_ns and lab_down
	LAB="hcl$$"
	LAB_DIR="${LAB_TMP:-$BATS_TEST_TMPDIR}/lab"
	mkdir -p "$LAB_DIR"
	chmod 755 "$LAB_DIR"
	lab_router_add r 192.0.2.1/28
	lab_router_add rb 192.0.2.17/28
	ip -n "$(lab_ns r)" link add bb type veth peer name bb netns "$(lab_ns rb)"
	ip -n "$(lab_ns r)" addr add "$LAB_ROUTER_A/30" dev bb
	ip -n "$(lab_ns rb)" addr add "$LAB_ROUTER_B/30" dev bb
	ip -n "$(lab_ns r)" link set bb up
	ip -n "$(lab_ns rb)" link set bb up
	lab_client_add c r 198.51.100.1 198.51.100.2 28
	lab_client_add cb rb 198.51.100.17 198.51.100.18 28
	ip -n "$(lab_ns r)" route add 198.51.100.16/28 via "$LAB_ROUTER_B"
	ip -n "$(lab_ns rb)" route add 198.51.100.0/28 via "$LAB_ROUTER_A"
	local i
	for i in 1 2; do
		lab_host_add "$i" r 28 192.0.2.1
	done
	for i in 11 12; do
		lab_host_add "$i" rb 28 192.0.2.17
	done
	{ echo "log \"$LAB_DIR/bird.log\" all;"; cat "$1"; } >"$LAB_DIR/bird.conf"
	{ echo "log \"$LAB_DIR/bird-b.log\" all;"; cat "$2"; } >"$LAB_DIR/bird-b.conf"
	lab_bird_run r "$LAB_DIR/bird.conf" bird
	lab_bird_run rb "$LAB_DIR/bird-b.conf" bird-b
}

# lab_region_exabgp_start I CONF: lab_exabgp_start I with CONF, the
# exabgp.conf of the first host of I's region (192.0.2.11 or 192.0.2.21).
lab_region_exabgp_start() {
	local conf=$2
	if (($1 > 10)); then
		conf="$LAB_DIR/exabgp-h$1.src"
		sed 's/\b192\.0\.2\.21\b/192.0.2.11/g' "$2" >"$conf"
	fi
	lab_exabgp_start "$1" "$conf"
}

# lab_region_nexthops_are ROUTER ADDR...: true when ROUTER's (r or rb) FIB
# holds exactly ADDR... for the VIP.
lab_region_nexthops_are() {
	local want got
	want=$(printf '%s\n' "${@:2}" | sed '/^$/d' | sort)
	got=$(ip -n "$(lab_ns "$1")" route show "$LAB_VIP" | grep -o 'via [0-9.]*' | awk '{ print $2 }' | sort)
	[[ $got == "$want" ]]
}

# lab_get_from CLIENT: one HTTP request from client namespace CLIENT (c or
# cb) to the VIP; prints the body (the name of the host that answered).
# curl, not Python: a request must stay cheap on a busy machine.
lab_get_from() {
	ip netns exec "$(lab_ns "$1")" curl -sS --max-time 5 "http://$LAB_VIP/"
}
