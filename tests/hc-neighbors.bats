#!/usr/bin/env bats
# hc-neighbors: BGP session state from ExaBGP's own neighbor events.  The
# events come from a real ExaBGP 4.2 peering with BIRD in the lab, in both of
# ExaBGP's encoders; the rest checks options and how the program ends.
# shellcheck disable=SC2154 # $output, $stderr, $status are set by bats

load test_helper
load lib-lab

# The lab test waits on BGP sessions, rise and fall: a minute or so.
# shellcheck disable=SC2034 # read by bats before each test
BATS_TEST_TIMEOUT=180

teardown() {
	exec 4>&- 2>/dev/null || true
	stop_bg_all
	lab_down
}

# metric FILE SERIES: the value of SERIES (name and labels, as written) in FILE.
metric() {
	awk -v s="$2" '$1 == s { print $2; found = 1 } END { exit !found }' "$1"
}

# metric_is FILE SERIES VALUE: SERIES is VALUE in FILE.
metric_is() {
	[[ $(metric "$1" "$2" 2>/dev/null) == "$3" ]]
}

# nb_wait: waits for the background hc-neighbors to exit; sets $nb_status.
nb_wait() {
	nb_status=0
	wait "$(<"$BATS_TEST_TMPDIR/nb.pid")" || nb_status=$?
}

# neighbors_bg ARGS...: hc-neighbors ARGS reading the fifo $BATS_TEST_TMPDIR/in
# (fd 4 writes to it).
neighbors_bg() {
	mkfifo "$BATS_TEST_TMPDIR/in"
	start_bg nb bash -c 'f=$1; shift; exec hc-neighbors "$@" <"$f"' _ "$BATS_TEST_TMPDIR/in" "$@"
	exec 4>"$BATS_TEST_TMPDIR/in"
}

@test "hc-neighbors: declared neighbors are down, and ExaBGP up, before any event" {
	local m=$BATS_TEST_TMPDIR/n.prom
	neighbors_bg --metrics "$m" 192.0.2.1 2001:DB8::0001
	wait_until 5 test -e "$m"
	metric_is "$m" hc_exabgp_up 1
	metric_is "$m" 'hc_bgp_session_up{neighbor="192.0.2.1"}' 0
	metric_is "$m" 'hc_bgp_session_up{neighbor="2001:db8::1"}' 0
	metric_is "$m" 'hc_bgp_session_downs_total{neighbor="192.0.2.1"}' 0
	[[ $(metric "$m" 'hc_bgp_session_last_change_timestamp_seconds{neighbor="192.0.2.1"}') == \
		"$(metric "$m" hc_exabgp_start_time_seconds)" ]]
	run promtool check metrics <"$m"
	assert_success
}

@test "hc-neighbors: SIGTERM writes hc_exabgp_up 0 before it exits 0" {
	local m=$BATS_TEST_TMPDIR/n.prom
	neighbors_bg --metrics "$m" 192.0.2.1
	wait_until 5 metric_is "$m" hc_exabgp_up 1
	kill -TERM "$(<"$BATS_TEST_TMPDIR/nb.pid")"
	nb_wait
	[[ $nb_status == 0 ]]
	metric_is "$m" hc_exabgp_up 0
	grep -q 'ExaBGP gone (SIGTERM)' "$BATS_TEST_TMPDIR/nb.err"
}

@test "hc-neighbors: the end of its input writes hc_exabgp_up 0" {
	local m=$BATS_TEST_TMPDIR/n.prom
	neighbors_bg --metrics "$m"
	wait_until 5 metric_is "$m" hc_exabgp_up 1
	exec 4>&-
	nb_wait
	[[ $nb_status == 0 ]]
	metric_is "$m" hc_exabgp_up 0
	grep -q 'ExaBGP gone (end of input)' "$BATS_TEST_TMPDIR/nb.err"
}

@test "hc-neighbors: a bad neighbor is refused in one line; exit 2 once the input ends" {
	run --separate-stderr hc-neighbors --metrics "$BATS_TEST_TMPDIR/n.prom" 192.0.2.300 </dev/null
	[[ $status == 2 ]]
	[[ $stderr == "hc-neighbors: invalid neighbor '192.0.2.300': not an IPv4 or IPv6 address" ]]
	[[ ! -e $BATS_TEST_TMPDIR/n.prom ]]
	# Run by ExaBGP, it waits for the end of its input instead of a respawn loop.
	neighbors_bg 192.0.2.300
	local sleep_until_ms
	sleep_until_ms=$(($(now_us) / 1000 + 300))
	wait_until 5 bash -c "(( \${EPOCHREALTIME/./} / 1000 >= $sleep_until_ms ))"
	kill -0 "$(<"$BATS_TEST_TMPDIR/nb.pid")"
	exec 4>&-
	nb_wait
	[[ $nb_status == 2 ]]
	run --separate-stderr hc-neighbors --metrics '' </dev/null
	[[ $status == 2 && $stderr == "hc-neighbors: invalid --metrics '': empty" ]]
}

@test "hc-neighbors: --help describes the options and exits 0" {
	run --separate-stderr hc-neighbors --help
	assert_success
	[[ $output == *"--metrics=FILE"* && $output == *"neighbor-changes"* ]]
}

# The lab config: examples/monitoring/exabgp.conf with the lab's paths, a
# check timeout of 5 s instead of 1 s (on a loaded 2-core machine a sanitizer
# build of hc-http can take a second), and a second hc-neighbors that reads
# the JSON encoder.
lab_monitoring_conf() {
	sed -e "s#/var/lib/prometheus/node-exporter#$LAB_DIR#g" -e "s#/run/hc#$LAB_DIR#g" \
		-e "s#hc-loop -i 1 -t 1s #hc-loop -i 1 -t 5s #" \
		-e "s#^    api sessions .*#&\n    api json { processes [ neighbors-json ]; neighbor-changes; }#" \
		"$HC_SRCDIR/examples/monitoring/exabgp.conf"
	cat <<-EOF
		process neighbors-json {
		    run /bin/sh -c "exec hc-neighbors --metrics $LAB_DIR/hc-neighbors-json.prom";
		    encoder json;
		}
	EOF
}

# sessions_are V: both hc-neighbors say the session with the router is V (0 or 1).
sessions_are() {
	metric_is "$LAB_DIR/hc-neighbors.prom" 'hc_bgp_session_up{neighbor="192.0.2.1"}' "$1" &&
		metric_is "$LAB_DIR/hc-neighbors-json.prom" 'hc_bgp_session_up{neighbor="192.0.2.1"}' "$1"
}

@test "hc-neighbors e2e: ExaBGP's events (text and JSON) follow birdc disable and enable; a killed service is one failover; SIGTERM to ExaBGP says it is gone" {
	lab_require
	command -v promtool >/dev/null || skip "needs promtool (Debian package prometheus)"
	lab_up 1
	lab_service_start 1
	lab_monitoring_conf >"$LAB_DIR/monitoring.conf"
	grep -q 'hc-loop -i 1 -t 5s ' "$LAB_DIR/monitoring.conf"
	lab_exabgp_start 1 "$LAB_DIR/monitoring.conf"
	local web=$LAB_DIR/hc-web.prom text=$LAB_DIR/hc-neighbors.prom json=$LAB_DIR/hc-neighbors-json.prom
	wait_until 60 sessions_are 1
	wait_until 60 lab_nexthops_are "$H1"
	metric_is "$text" hc_exabgp_up 1
	metric_is "$json" hc_exabgp_up 1

	# The router ends the session: down within 2 s, counted once, in both encoders.
	local t0 f
	t0=$(now_us)
	lab_birdc disable h1 >/dev/null
	wait_until 10 sessions_are 0
	for f in "$text" "$json"; do
		metric_is "$f" 'hc_bgp_session_downs_total{neighbor="192.0.2.1"}' 1
		awk -v at="$(metric "$f" 'hc_bgp_session_last_change_timestamp_seconds{neighbor="192.0.2.1"}')" \
			-v t0="$t0" 'BEGIN { d = at - t0 / 1e6; exit !(d > -0.01 && d <= 2) }'
	done
	grep -q 'hc-neighbors: .* 192.0.2.1: up -> down (' "$LAB_DIR/exabgp-h1.log" "$LAB_DIR/exabgp-h1.out"
	lab_birdc enable h1 >/dev/null
	wait_until 60 sessions_are 1
	wait_until 30 lab_nexthops_are "$H1"
	metric_is "$text" 'hc_bgp_session_downs_total{neighbor="192.0.2.1"}' 1

	# A killed service: hc-loop -i 1 with --fall 2 withdraws at the end of the
	# second failing check, which starts one interval after the first one
	# started, and runs for at most its 5 s timeout.
	[[ $(metric "$web" 'hc_announce_failovers_total{service="web"}') == 0 ]]
	lab_service_stop 1
	wait_until 30 metric_is "$web" 'hc_announce_failovers_total{service="web"}' 1
	wait_until 10 lab_nexthops_are
	local took
	took=$(metric "$web" 'hc_announce_last_failover_duration_seconds{service="web"}')
	awk -v s="$took" 'BEGIN { exit !(s >= 0.8 && s <= 1 + 5 + 1) }'
	[[ $(metric "$web" 'hc_announce_checks_total{service="web",result="down"}') -ge 2 ]]
	cp "$web" "$BATS_TEST_TMPDIR/after-failover.prom"
	run promtool check metrics <"$web"
	assert_success

	# ExaBGP stops: hc-neighbors writes that it is gone before it exits.
	lab_exabgp_stop 1 TERM
	for f in "$text" "$json"; do
		metric_is "$f" hc_exabgp_up 0
		metric_is "$f" 'hc_bgp_session_up{neighbor="192.0.2.1"}' 0
		run promtool check metrics <"$f"
		assert_success
	done
	metric_is "$web" 'hc_announce_failovers_total{service="web"}' 1
	# HC_SHOW_METRICS=DIR keeps the files and logs (for the README).
	if [[ -n ${HC_SHOW_METRICS:-} ]]; then
		cp "$BATS_TEST_TMPDIR/after-failover.prom" "$text" "$json" "$LAB_DIR"/exabgp-h1.* "$HC_SHOW_METRICS/"
	fi
}
