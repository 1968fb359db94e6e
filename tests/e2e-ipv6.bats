#!/usr/bin/env bats
# End to end, IPv6: the VIP 2001:db8:203::10 announced by hc-announce with an
# explicit IPv6 next hop, through real ExaBGP to a real BIRD router, over an
# IPv6 BGP session (examples/ipv6/exabgp.conf) and as the IPv6 family of an
# IPv4 session (examples/ipv6/exabgp-ipv4-session.conf); asserted in the
# router's IPv6 FIB and by a client over IPv6.
# shellcheck disable=SC2154 # $status and $output are set by bats

load test_helper
load lib-lab
load lib-lab-ipv6

# shellcheck disable=SC2034 # read by bats before each test
BATS_TEST_TIMEOUT=300

EXAMPLES="$HC_SRCDIR/examples"
H6_1=2001:db8::11 H6_2=2001:db8::12

setup() {
	lab_require
}

teardown() {
	lab_down
}

# route_from PROTOCOL: BIRD holds the IPv6 VIP from its protocol PROTOCOL.
route_from() {
	lab_birdc show route "$LAB_VIP6/128" | grep -q "\[$1 "
}

@test "e2e IPv6: the VIP over an IPv6 session and over an IPv4 session is ECMP in the router's IPv6 FIB, withdrawn on a failed check" {
	lab_ipv6_up 2
	lab_service6_start 1
	lab_service6_start 2
	# Host 1 peers over IPv6, host 2 carries IPv6 on its IPv4 session.
	lab_ipv6_exabgp_start 1 "$EXAMPLES/ipv6/exabgp.conf"
	lab_ipv6_exabgp_start 2 "$EXAMPLES/ipv6/exabgp-ipv4-session.conf"
	wait_until 120 lab_nexthops6_are $H6_1 $H6_2
	route_from h1v6
	route_from h2
	# The IPv4 session carried the IPv6 route without a NOTIFICATION: it is
	# still Established, and BIRD logged no error for it.
	lab_session_up 2
	run ! grep -q "Error" "$LAB_DIR/bird.log"
	# Flows spread over both hosts (the router hashes on L4).
	local seen=" "
	for _ in $(seq 1 30); do
		run lab_client6_get
		assert_success
		[[ $output == h1 || $output == h2 ]]
		[[ $seen == *" $output "* ]] || seen+="$output "
		[[ $seen != " h1 h2 " && $seen != " h2 h1 " ]] || break
	done
	[[ $seen == " h1 h2 " || $seen == " h2 h1 " ]]

	# A failed check withdraws each host's route, whatever its session.
	lab_service6_stop 1
	wait_until 20 lab_nexthops6_are $H6_2
	run lab_client6_get
	assert_output h2
	lab_service6_stop 2
	wait_until 20 lab_nexthops6_are
	run lab_client6_get
	assert_failure

	lab_service6_start 1
	wait_until 20 lab_nexthops6_are $H6_1
	run lab_client6_get
	assert_output h1
}
