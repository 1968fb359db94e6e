#!/usr/bin/env bats
# End to end, geographic HA (examples/multi-region): two regions, each a BIRD
# router with two hosts running ExaBGP and the hc pipeline, and a client; the
# routers talk iBGP and prefer their own region's hosts by LOCAL_PREF.  A
# region that fails as a whole sends its client to the other region; times
# are measured at region A's router and printed (as TAP comments), not
# asserted.
# shellcheck disable=SC2154 # $status and $output are set by bats

load test_helper
load lib-lab
load lib-lab-regions

# shellcheck disable=SC2034 # read by bats before each test
BATS_TEST_TIMEOUT=420

MR="$HC_SRCDIR/examples/multi-region"

setup() {
	lab_require
	lab_regions_up "$MR/bird-region-a.conf" "$MR/bird-region-b.conf"
	local i
	for i in 1 2 11 12; do
		lab_service_start "$i"
	done
	for i in 1 2; do
		lab_region_exabgp_start "$i" "$MR/exabgp-region-a.conf"
	done
	for i in 11 12; do
		lab_region_exabgp_start "$i" "$MR/exabgp-region-b.conf"
	done
	wait_until 120 routes_to_region_a
	wait_until 60 routes_to_region_b
	# Each router also knows the other region's route, over iBGP, not used.
	wait_until 15 lab_birdc_has r "via $LAB_ROUTER_B"
	wait_until 15 lab_birdc_has rb "via $LAB_ROUTER_A"
}

teardown() {
	lab_down
}

# lab_birdc_has ROUTER TEXT: ROUTER's BIRD lists TEXT among its routes to the VIP.
lab_birdc_has() {
	local ctl=bird
	[[ $1 == r ]] || ctl=bird-b
	birdc -s "$LAB_DIR/$ctl.ctl" show route "$LAB_VIP/32" all | grep -qF -- "$2"
}

# served_by CLIENT HOST...: three requests from CLIENT, each answered by one of HOST...
served_by() {
	local client=$1 _
	shift
	for _ in 1 2 3; do
		run lab_get_from "$client"
		assert_success
		[[ " $* " == *" $output "* ]] || fail "$client served by '$output', not by one of: $*"
	done
}

# routes_to_region_a: region A's router routes the VIP to its own hosts
# (one or both: on a busy machine a check can time out and a host flap),
# not to region B.
routes_to_region_a() {
	lab_region_nexthops_are r $H1 $H2 || lab_region_nexthops_are r $H1 ||
		lab_region_nexthops_are r $H2
}

# routes_to_region_b: region B's router routes the VIP to its own hosts.
routes_to_region_b() {
	lab_region_nexthops_are rb $H11 $H12 || lab_region_nexthops_are rb $H11 ||
		lab_region_nexthops_are rb $H12
}

# report TEXT: a line in the test's TAP output.
report() {
	echo "# $*" >&3
}

# each_region_serves_its_own: the state both tests start and end in.
each_region_serves_its_own() {
	served_by c h1 h2
	served_by cb h11 h12
	lab_birdc show route "$LAB_VIP/32" all | grep -q 'BGP.local_pref: 200'
}

@test "e2e regions: each client is served by its own region; region A failing (services, then ExaBGP) sends its client to region B, and back" {
	each_region_serves_its_own

	# All of region A's services fail.
	local t0 moved back
	t0=$(now_us)
	lab_service_stop 1
	lab_service_stop 2
	# Region A's router now routes the VIP to region B's router, over iBGP.
	wait_until 30 lab_region_nexthops_are r "$LAB_ROUTER_B"
	moved=$((($(now_us) - t0) / 1000))
	served_by c h11 h12
	served_by cb h11 h12
	routes_to_region_b
	report "region A's services killed -> region A's router routes to region B: $moved ms"

	lab_service_start 1
	lab_service_start 2
	t0=$(now_us)
	wait_until 60 routes_to_region_a
	back=$((($(now_us) - t0) / 1000))
	each_region_serves_its_own
	report "region A's services answering -> region A's router routes to its hosts: $back ms (rise 3, from the second service listening)"

	# Region A's ExaBGP daemons stop (SIGTERM to both at once).
	t0=$(now_us)
	kill -TERM "$(<"$LAB_DIR/exabgp-h1.pid")" "$(<"$LAB_DIR/exabgp-h2.pid")"
	wait_until 30 lab_region_nexthops_are r "$LAB_ROUTER_B"
	moved=$((($(now_us) - t0) / 1000))
	lab_exabgp_stop 1
	lab_exabgp_stop 2
	served_by c h11 h12
	served_by cb h11 h12
	report "region A's ExaBGP stopped (SIGTERM) -> region A's router routes to region B: $moved ms"

	t0=$(now_us)
	lab_region_exabgp_start 1 "$MR/exabgp-region-a.conf"
	lab_region_exabgp_start 2 "$MR/exabgp-region-a.conf"
	wait_until 120 routes_to_region_a
	back=$((($(now_us) - t0) / 1000))
	each_region_serves_its_own
	report "region A's ExaBGP started -> region A's router routes to its hosts: $back ms (session setup, rise 3)"
}
