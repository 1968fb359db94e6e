#!/usr/bin/env bats
# End to end: real ExaBGP on each host running the examples/ pipelines, a real
# BIRD router, real HTTP services, asserted at the router's FIB and BGP table.
# shellcheck disable=SC2154 # $status and $output are set by bats

load test_helper
load lib-lab

EXAMPLES="$HC_SRCDIR/examples"

setup() {
	require_root_netns
	command -v exabgp >/dev/null || skip "needs exabgp"
	command -v bird >/dev/null || skip "needs bird2"
}

teardown() {
	lab_down
}

H1=192.0.2.11
H2=192.0.2.12
H3=192.0.2.13

# meds_are MED1 MED2: BIRD holds the VIP from host 1 with MED1 and host 2 with MED2.
meds_are() {
	[[ $(lab_route_med $H1) == "$1" && $(lab_route_med $H2) == "$2" ]]
}

@test "e2e active-active: a failed service leaves the router's ECMP set and returns after rise" {
	lab_up 3
	for i in 1 2 3; do
		lab_service_start "$i"
		lab_exabgp_start "$i" "$EXAMPLES/active-active/exabgp.conf"
	done
	wait_until 30 lab_nexthops_are $H1 $H2 $H3

	lab_service_stop 2
	wait_until 15 lab_nexthops_are $H1 $H3
	# The client keeps getting answers from the hosts that are left.
	for _ in 1 2 3 4 5 6; do
		run lab_client_get
		assert_success
		[[ $output == h1 || $output == h3 ]]
	done

	lab_service_start 2
	wait_until 15 lab_nexthops_are $H1 $H2 $H3
	# Rise is 3 checks at 1 s: it must not come back at once.
	run lab_client_get
	assert_success
}

@test "e2e active-passive: the router prefers the primary by MED, fails over and fails back" {
	lab_up 2
	lab_service_start 1
	lab_service_start 2
	lab_exabgp_start 1 "$EXAMPLES/active-passive/exabgp-primary.conf"
	lab_exabgp_start 2 "$EXAMPLES/active-passive/exabgp-secondary.conf"
	wait_until 30 meds_are 100 200
	[[ $(lab_best_via) == "$H1" ]]
	lab_nexthops_are $H1

	lab_service_stop 1
	wait_until 15 lab_nexthops_are $H2
	[[ $(lab_best_via) == "$H2" ]]
	run lab_client_get
	assert_output h2

	lab_service_start 1
	wait_until 15 lab_nexthops_are $H1
	run lab_client_get
	assert_output h1
}

@test "e2e maintenance: touching the file drains the host, removing it restores" {
	lab_up 2
	for i in 1 2; do
		sed "s|/run/hc/maintenance|$LAB_DIR/maintenance-h$i|" "$EXAMPLES/maintenance/exabgp.conf" \
			>"$LAB_DIR/maintenance-h$i.conf"
		lab_service_start "$i"
		lab_exabgp_start "$i" "$LAB_DIR/maintenance-h$i.conf"
	done
	wait_until 30 lab_nexthops_are $H1 $H2

	touch "$LAB_DIR/maintenance-h1"
	wait_until 5 lab_nexthops_are $H2
	run lab_client_get
	assert_output h2
	rm "$LAB_DIR/maintenance-h1"
	wait_until 10 lab_nexthops_are $H1 $H2
}
