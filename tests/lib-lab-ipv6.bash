# IPv6 in the lab of tests/lib-lab.bash (load that first): the same router,
# hosts and client, dual-stacked from 2001:db8::/32 only:
#   hosts segment 2001:db8::/64      router 2001:db8::1, host i 2001:db8::1i
#   client link   2001:db8:100::/64  router 2001:db8:100::1, client 2001:db8:100::2
#   VIP           2001:db8:203::10/128 on every host's loopback
# The router's BIRD gets an IPv6 kernel protocol (ECMP) and takes the IPv6
# VIP from each host both over an IPv6 BGP session (to 2001:db8::1, protocol
# hIv6) and as the IPv6 family of the IPv4 session (protocol hI): each host's
# exabgp.conf chooses.

LAB_VIP6=2001:db8:203::10
# An IPv6 route to the VIP, from a host of the lab only.
LAB_BIRD_IMPORT6='import filter { if net ~ [ 2001:db8:203::/48{128,128} ] then accept; reject; }; export none;'

# lab_host_addr6 I: host I's IPv6 address on the hosts segment.
lab_host_addr6() {
	echo "2001:db8::$((10 + $1))"
}

# lab_ipv6_up N: lab_up N with IPv6 addresses everywhere and the router's
# BIRD taking the IPv6 VIP over either kind of session.
lab_ipv6_up() {
	local n=$1 i extra
	extra="protocol kernel kernel6 {
  ipv6 { import none; export filter { if source = RTS_BGP then accept; reject; }; };
  merge paths on;
}"
	for ((i = 1; i <= n; i++)); do
		extra+="
protocol bgp h${i}v6 {
  local as $LAB_ROUTER_AS; passive on; hold time 9; keepalive time 3;
  neighbor $(lab_host_addr6 "$i") as $LAB_HOST_AS;
  ipv6 { $LAB_BIRD_IMPORT6 };
}"
	done
	LAB_BIRD_EXTRA=$extra LAB_BIRD_HOSTS_EXTRA="  ipv6 { $LAB_BIRD_IMPORT6 };" lab_up "$n"
	local r c
	r=$(lab_ns r)
	c=$(lab_ns c)
	ip netns exec "$r" sysctl -qw net.ipv6.conf.all.forwarding=1 net.ipv6.fib_multipath_hash_policy=1
	ip -n "$r" addr add 2001:db8::1/64 dev br0 nodad
	ip -n "$r" addr add 2001:db8:100::1/64 dev cl nodad
	ip -n "$c" addr add 2001:db8:100::2/64 dev eth0 nodad
	ip -n "$c" -6 route add default via 2001:db8:100::1
	for ((i = 1; i <= n; i++)); do
		local h
		h=$(lab_ns "h$i")
		ip -n "$h" addr add "$LAB_VIP6/128" dev lo
		ip -n "$h" addr add "$(lab_host_addr6 "$i")/64" dev eth0 nodad
		ip -n "$h" -6 route add default via 2001:db8::1
	done
}

# lab_ipv6_exabgp_start I CONF: lab_exabgp_start I with CONF, an exabgp.conf
# written for host 1, whose IPv6 address (2001:db8::11) becomes host I's too.
lab_ipv6_exabgp_start() {
	local conf="$LAB_DIR/exabgp6-h$1.src"
	sed "s/2001:db8::11\b/$(lab_host_addr6 "$1")/g" "$2" >"$conf"
	lab_exabgp_start "$1" "$conf"
}

# lab_service6_start I: host I's HTTP server on [VIP6]:80 (lab_service_start).
lab_service6_start() {
	lab_service_start "$1" "$LAB_VIP6" "www6-$1"
}

# lab_service6_stop I: kills host I's IPv6 HTTP server by PID.
lab_service6_stop() {
	lab_service_stop "$1" "www6-$1"
}

# lab_nexthops6: the router's IPv6 kernel next-hops for the VIP, sorted.
lab_nexthops6() {
	ip -n "$(lab_ns r)" -6 route show "$LAB_VIP6" |
		grep -o 'via [0-9a-f:]*' | awk '{ print $2 }' | sort
}

# lab_nexthops6_are ADDR...: true when the router's IPv6 FIB holds exactly ADDR... for the VIP.
lab_nexthops6_are() {
	local want got
	want=$(printf '%s\n' "$@" | sed '/^$/d' | sort)
	got=$(lab_nexthops6)
	[[ $got == "$want" ]]
}

# lab_client6_get: one HTTP request from the client to [VIP6]; prints the
# body (curl, so that a request stays cheap on a busy machine).
lab_client6_get() {
	ip netns exec "$(lab_ns c)" curl -sS -g --max-time 5 "http://[$LAB_VIP6]/"
}
