#!/usr/bin/env bats
# End to end, robustness: what must hold at the router when things go wrong
# (floods of changes, signals, broken pipelines, killed pipelines).
# shellcheck disable=SC2154 # $status and $output are set by bats

load test_helper
load lib-lab

# ExaBGP sessions, rise and fall take seconds; the robustness tests minutes,
# and the flood as long as this machine needs for 20,000 changes (43 s at a
# load average of 12 with its resident check; 15 minutes were too few when
# the check was a process per run).
# shellcheck disable=SC2034 # read by bats before each test
BATS_TEST_TIMEOUT=900

EXAMPLES="$HC_SRCDIR/examples"

setup() {
	lab_require
}

teardown() {
	lab_down
}

# pipeline_pgid I PROG: the process group of host I's pipeline, found by PROG's PID.
pipeline_pgid() {
	local pid
	for pid in $(ip netns pids "$(lab_ns "h$1")"); do
		if [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$2" ]]; then
			ps -o pgid= -p "$pid" | tr -d ' '
			return 0
		fi
	done
	return 1
}

# hc_procs_in I: how many hc-* processes run in host I.
hc_procs_in() {
	local pid n=0
	for pid in $(ip netns pids "$(lab_ns "h$1")"); do
		[[ $(cat "/proc/$pid/comm" 2>/dev/null) == hc-* ]] && n=$((n + 1))
	done
	echo "$n"
}

@test "e2e robustness: 20,000 state changes with acks on keep the BGP session up" {
	lab_up 1
	# A resident check that answers down, up, down, ... (hc-resident(7)), so
	# that ExaBGP, not the start of a process per run, sets the pace.
	cat >"$LAB_DIR/flip" <<-'FLIP'
		#!/bin/sh
		while read -r request && [ "$request" = check ]; do
			echo 1
			read -r request && [ "$request" = check ] || exit 0
			echo 0
		done
	FLIP
	chmod +x "$LAB_DIR/flip"
	sed "s#^    run .*#    run /bin/sh -c \"hc-loop --resident -i 1ms -t 1s -- $LAB_DIR/flip | hc-dampen --rise 1 --fall 1 | hc-announce --metrics $LAB_DIR/metrics.prom 203.0.113.10/32\";#" \
		"$EXAMPLES/active-active/exabgp.conf" >"$LAB_DIR/flip.conf"
	lab_exabgp_start 1 "$LAB_DIR/flip.conf"
	wait_until 30 lab_session_up 1
	local since
	since=$(lab_birdc show protocols h1 | awk '$1 == "h1" { print $5 }')

	# transitions: how many state changes hc-announce has made.
	transitions() {
		local n
		n=$(awk '/^hc_announce_transitions_total/ { print $2 }' "$LAB_DIR/metrics.prom" 2>/dev/null)
		echo "${n:-0}"
	}
	# Sized by progress, not by the clock: count transitions until 20,000
	# while the session stays up.  A dropped session fails, and so does a
	# pipeline that stalls (no transition for 60 s); a slow machine only
	# takes longer.
	local n=0 last=0 t0 now last_at
	t0=$(now_us)
	last_at=$t0
	while ((n < 20000)); do
		lab_session_up 1 || fail "the BGP session dropped after $n transitions"
		n=$(transitions)
		now=$(now_us)
		if ((n > last)); then
			last=$n last_at=$now
		elif ((now - last_at > 60000000)); then
			fail "no transition for 60 s, after $n"
		fi
		sleep 0.5
	done
	local secs=$(((now - t0) / 1000000))
	echo "# $n transitions in $secs s: $((n / (secs > 0 ? secs : 1))) a second" >&3
	lab_session_up 1
	# The same session all along: BIRD's "since" did not move.
	[[ $(lab_birdc show protocols h1 | awk '$1 == "h1" { print $5 }') == "$since" ]]
	kill -0 "$(<"$LAB_DIR/exabgp-h1.pid")"
	run grep -c 'Too many death\|lost the helper' "$LAB_DIR/exabgp-h1.log"
	assert_output 0
}

@test "e2e robustness: SIGTERM to ExaBGP takes the route off the router and ends the pipeline" {
	lab_up_serving 2 "$EXAMPLES/active-active/exabgp.conf"
	lab_exabgp_stop 1 TERM
	wait_until 20 lab_nexthops_are $H2
	wait_until 20 bash -c "[[ \$(ip netns pids $(lab_ns h1) | xargs -r -I{} cat /proc/{}/comm 2>/dev/null | grep -c '^hc-') == 0 ]]"
}

@test "e2e robustness: SIGTERM to the pipeline withdraws the route, and ExaBGP's respawn restores it" {
	lab_up_serving 2 "$EXAMPLES/active-active/exabgp.conf"
	local pgid
	pgid=$(pipeline_pgid 1 hc-announce)
	[[ -n $pgid ]]
	kill -TERM -- "-$pgid"
	wait_until 20 lab_nexthops_are $H2
	# ExaBGP starts the pipeline again; after rise the route is back.
	wait_until 60 lab_nexthops_are $H1 $H2
	[[ $(pipeline_pgid 1 hc-announce) != "$pgid" ]]
}

@test "e2e robustness: a misconfigured pipeline for 70 s neither stops ExaBGP nor another route" {
	lab_up 1
	lab_service_start 1
	{
		sed -n '/^process web/,/^}/p' "$EXAMPLES/active-active/exabgp.conf"
		echo 'process broken {'
		echo '    run /bin/sh -c "hc-loop --no-such-option -- true | hc-dampen | hc-announce 203.0.113.11/32";'
		echo '    encoder text;'
		echo '}'
		sed -n '/^neighbor/,$p' "$EXAMPLES/active-active/exabgp.conf" | sed 's/processes \[ web \]/processes [ web broken ]/'
	} >"$LAB_DIR/broken.conf"
	lab_exabgp_start 1 "$LAB_DIR/broken.conf"
	wait_until 30 lab_nexthops_are $H1
	local pid end
	pid=$(<"$LAB_DIR/exabgp-h1.pid")
	end=$(($(now_us) + 70000000))
	while (($(now_us) < end)); do
		kill -0 "$pid"
		lab_nexthops_are $H1
		[[ -z $(ip -n "$(lab_ns r)" route show 203.0.113.11) ]]
		sleep 0.5
	done
	run grep -c 'Too many death' "$LAB_DIR/exabgp-h1.log"
	assert_output 0
	grep -q 'no-such-option' "$LAB_DIR/exabgp-h1.out" "$LAB_DIR/exabgp-h1.log"
}

@test "e2e robustness: a pipeline killed while its service is down is respawned and withdraws the stale route" {
	lab_up_serving 2 "$EXAMPLES/active-active/exabgp.conf"
	local pgid
	pgid=$(pipeline_pgid 1 hc-announce)
	# The service dies and, before fall is reached, so does the whole pipeline.
	# ExaBGP keeps what a dead process announced; it respawns the pipeline at
	# once, and the new hc-announce withdraws at start.
	lab_service_stop 1
	kill -KILL -- "-$pgid"
	wait_until 30 lab_nexthops_are $H2
	[[ $(pipeline_pgid 1 hc-announce) != "$pgid" ]]
	# And it stays withdrawn while the service is down.
	local polls=0
	while ((polls++ < 10)); do
		lab_nexthops_are $H2
		sleep 0.3
	done
}
