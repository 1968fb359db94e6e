#!/usr/bin/env bats
# hc-announce against a real ExaBGP ($HC_EXABGP, by default Debian's 4.2)
# speaking eBGP to a real BIRD 2, in two network namespaces: every command
# form must be acked "done", and the routes must reach (and leave) the router.
# e2e-exabgp-versions.bats runs what differs on 5.0 and main.
# shellcheck disable=SC2154 # $output, $status are set by bats

load test_helper
load lib-exabgp

# Sessions take seconds, more on a busy machine or with main's slower start.
# shellcheck disable=SC2034 # read by bats before each test
BATS_TEST_TIMEOUT=180

setup() {
	require_root_netns
	for cmd in bird birdc; do
		command -v "$cmd" >/dev/null || skip "needs $cmd"
	done
	exabgp_select
	pair_up
}

teardown() {
	pair_down
}

@test "hc-announce-exabgp: ExaBGP acks every command form hc-announce writes with done" {
	acks_every_form
}

@test "hc-announce-exabgp: a pipeline's routes reach BIRD, follow the stream and drain on SIGTERM" {
	: >"$LAB/stream"
	cat >"$LAB/pipeline" <<-EOF
		#!/bin/sh
		# stdin: ExaBGP's acks, recorded; the stream comes from a file.
		exec 3<&0
		cat <&3 >>"$LAB/acks" &
		tail -n +1 -f "$LAB/stream" | exec "$(command -v hc-announce)" --min-lifetime 0 \\
			--drain 1s --community 65000:1 --large-community 65000:0:1 -n 2001:db8::2 \\
			203.0.113.10 2001:db8:1::/64 2>>"$LAB/hc.err"
	EOF
	chmod +x "$LAB/pipeline"
	exabgp_with "$LAB/pipeline"
	wait_until 10 bird_established
	wait_until 20 grep -q "until an up line" "$LAB/hc.err"
	run bird_route 203.0.113.10/32
	assert_output ""

	echo up >>"$LAB/stream"
	wait_until 20 bird_has 203.0.113.10/32 "BGP.med: 100"
	bird_has 203.0.113.10/32 "BGP.community: (65000,1)"
	bird_has 203.0.113.10/32 "BGP.large_community: (65000, 0, 1)"
	bird_has 203.0.113.10/32 "BGP.next_hop: 192.0.2.2"
	wait_until 20 bird_has 2001:db8:1::/64 "BGP.next_hop: 2001:db8::2"

	echo down >>"$LAB/stream"
	wait_until 20 bird_lacks 203.0.113.10/32
	wait_until 20 bird_lacks 2001:db8:1::/64

	echo up >>"$LAB/stream"
	wait_until 20 bird_has 203.0.113.10/32 "BGP.med: 100"
	local pid hc=""
	for pid in $(ip netns pids "$H"); do
		[[ $(cat "/proc/$pid/comm" 2>/dev/null) == hc-announce ]] && hc=$pid
	done
	[[ -n $hc ]]
	# ExaBGP respawns the pipeline at once: empty the stream so the next
	# hc-announce has no up line to act on and keeps the routes withdrawn.
	: >"$LAB/stream"
	kill -TERM "$hc"
	# Both in one view: a busy machine may let the drain end between two.
	wait_until 20 bird_has 203.0.113.10/32 "BGP.community: (65000,1) (65535,0)" "BGP.med: 4294967295"
	wait_until 20 bird_lacks 203.0.113.10/32
	run grep -vcx "done" "$LAB/acks"
	assert_output 0
	run grep -cx "done" "$LAB/acks"
	((output >= 10)) || { echo "acks: $output" >&2; cat "$LAB/hc.err" >&2; false; }
}

@test "hc-announce-exabgp: without the minimum lifetime a failing pipeline makes ExaBGP exit" {
	failing_pipeline 0
	# Six starts within one of ExaBGP's 64 s windows, which are aligned to
	# the clock: on a busy machine the starts may span two windows.
	wait_until 150 exabgp_exited
	grep -q "Too many death" "$LAB/exabgp.out"
}

@test "hc-announce-exabgp: with the minimum lifetime a failing pipeline starts once and ExaBGP stays" {
	failing_pipeline 15s
	wait_until 10 bird_established
	respawn_held 20
	run bird_route 203.0.113.10/32
	assert_output ""
}
