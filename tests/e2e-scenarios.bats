#!/usr/bin/env bats
# End to end: real ExaBGP on each host running the examples/ pipelines, a real
# BIRD router, real HTTP services, asserted at the router's FIB and BGP table.
# shellcheck disable=SC2154 # $status and $output are set by bats

load test_helper
load lib-lab

# ExaBGP sessions, rise and fall take seconds; the robustness tests minutes.
# shellcheck disable=SC2034 # read by bats before each test
BATS_TEST_TIMEOUT=300

EXAMPLES="$HC_SRCDIR/examples"

setup() {
	lab_require
}

teardown() {
	lab_down
}

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

@test "e2e load MED: the MED at the router follows hc-load's metric" {
	lab_up 1
	cp -r "$HC_SRCDIR/tests/fixtures/load/idle" "$LAB_DIR/load"
	sed "s#hc-load #hc-load --root $LAB_DIR/load #" "$EXAMPLES/load-med/exabgp.conf" >"$LAB_DIR/load.conf"
	lab_exabgp_start 1 "$LAB_DIR/load.conf"
	wait_until 30 bash -c "ip -n $(lab_ns r) route show $LAB_VIP | grep -q via"
	local idle_med busy_med
	idle_med=$(lab_route_med $H1)
	((idle_med >= 100 && idle_med <= 200))

	# The host gets busy: the recorded busy /proc replaces the idle one.
	rm -rf "$LAB_DIR/load.new"
	cp -r "$HC_SRCDIR/tests/fixtures/load/busy" "$LAB_DIR/load.new"
	rm -rf "$LAB_DIR/load"
	mv "$LAB_DIR/load.new" "$LAB_DIR/load"
	wait_until 15 bash -c "[[ \$(birdc -s $LAB_DIR/bird.ctl show route $LAB_VIP/32 all | awk '/BGP.med:/ { print \$2 }') != $idle_med ]]"
	busy_med=$(lab_route_med $H1)
	((busy_med > idle_med + 10))
	lab_nexthops_are $H1
}

