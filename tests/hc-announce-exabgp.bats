#!/usr/bin/env bats
# hc-announce against a real ExaBGP 4.2 speaking eBGP to a real BIRD 2, in
# two network namespaces: every command form must be acked "done", and the
# routes must reach (and leave) the router.
# shellcheck disable=SC2154 # $output, $status are set by bats

load test_helper

setup() {
	require_root_netns
	for cmd in exabgp bird birdc; do
		command -v "$cmd" >/dev/null || skip "needs $cmd"
	done
	LAB=$BATS_TEST_TMPDIR
	R="hca-$$-$BATS_TEST_NUMBER-r"
	H="hca-$$-$BATS_TEST_NUMBER-h"
	ip netns add "$R"
	ip netns add "$H"
	ip link add hca-r netns "$R" type veth peer name hca-h netns "$H"
	ip -n "$R" addr add 192.0.2.1/24 dev hca-r
	ip -n "$R" addr add 2001:db8::1/64 dev hca-r nodad
	ip -n "$H" addr add 192.0.2.2/24 dev hca-h
	ip -n "$H" addr add 2001:db8::2/64 dev hca-h nodad
	for ns in "$R" "$H"; do
		ip -n "$ns" link set lo up
	done
	ip -n "$R" link set hca-r up
	ip -n "$H" link set hca-h up

	cat >"$LAB/bird.conf" <<-EOF
		router id 192.0.2.1;
		protocol device {}
		protocol bgp host {
			local 192.0.2.1 as 65001;
			neighbor 192.0.2.2 as 65002;
			passive on;
			ipv4 { import all; export none; add paths rx; };
			ipv6 { import all; export none; add paths rx; };
		}
	EOF
	start_bg bird ip netns exec "$R" bird -f -c "$LAB/bird.conf" -s "$LAB/bird.sock" -P "$LAB/bird.pid"
	wait_until 10 test -S "$LAB/bird.sock"

	# One ExaBGP per test: no CLI pipes (they are shared by every namespace),
	# no privilege drop (the test files are root's), acks on as by default.
	cat >"$LAB/exabgp.env" <<-EOF
		[exabgp.api]
		ack = true
		cli = false

		[exabgp.daemon]
		daemonize = false
		drop = false
		user = 'root'

		[exabgp.log]
		destination = 'stdout'
	EOF
}

teardown() {
	stop_bg_all
	local ns pid
	for ns in "${H:-}" "${R:-}"; do
		[[ -n $ns ]] || continue
		# Helpers ExaBGP spawned in our namespace, if any outlived it.
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null || true
		done
		ip netns del "$ns" 2>/dev/null || true
	done
}

# exabgp_with RUN: starts ExaBGP in the host namespace with one process
# running RUN (a script path) and a neighbor session to BIRD.
exabgp_with() {
	cat >"$LAB/exabgp.conf" <<-EOF
		process hc {
			run $1;
			encoder text;
		}
		neighbor 192.0.2.1 {
			router-id 192.0.2.2;
			local-address 192.0.2.2;
			local-as 65002;
			peer-as 65001;
			family { ipv4 unicast; ipv6 unicast; }
			capability { add-path send/receive; }
			api { processes [ hc ]; }
		}
	EOF
	start_bg exabgp ip netns exec "$H" exabgp --env "$LAB/exabgp.env" "$LAB/exabgp.conf"
}

bird_established() {
	birdc -s "$LAB/bird.sock" show protocols host | grep -q Established
}

# bird_route PREFIX: BIRD's full view of PREFIX (empty when absent).
bird_route() {
	birdc -s "$LAB/bird.sock" show route "$1" all | sed -e 1d -e '/^Network not found$/d'
}

# bird_has PREFIX TEXT...: one view of PREFIX in BIRD holds every TEXT.
bird_has() {
	local route text
	route=$(bird_route "$1")
	shift
	for text in "$@"; do
		grep -qF -- "$text" <<<"$route" || return 1
	done
}

bird_lacks() {
	! bird_route "$1" | grep -q "$1"
}

# commands ARGS...: what hc-announce ARGS writes for an up, a down and an up line.
commands() {
	printf 'up metric=70\ndown\nup metric=90\n' | hc-announce --min-lifetime 0 "$@" 2>/dev/null
}

@test "hc-announce-exabgp: ExaBGP 4.2 acks every command form hc-announce writes with done" {
	local cmds=$LAB/cmds
	{
		commands 203.0.113.10
		commands 203.0.113.10 198.51.100.0/24 --med 10 --med-step 5 --announce-down --med-down 900
		commands 203.0.113.10 -n 192.0.2.2 --origin igp --local-preference 200 \
			--as-path 65002 --as-path 65002 --community 65000:1 --community no-export \
			--community no-advertise --community no-export-subconfed --community nopeer \
			--community blackhole --large-community 65000:1:2 --large-community 4294967295:0:0 \
			--extended-community target:65000:4294967295 --extended-community origin:192.0.2.2:7 \
			--extended-community target:4200000000:1
		commands 203.0.113.11 --origin egp --path-id 7 --neighbor 192.0.2.1
		commands 203.0.113.12 --origin incomplete --announce-down --up-community 65000:100 \
			--down-community 65000:200 --down-as-path 65002 --down-as-path 65002 --up-as-path 65002
		commands 203.0.113.13 --med-from metric --med-min 50 --med-max 80
		commands 2001:db8:1::/64 2001:db8:2::1 -n 2001:db8::2 --community 65000:6 --med 0
		commands 203.0.113.14 -n 2001:db8::2 --neighbor 192.0.2.1 --path-id 4294967295
		touch "$LAB/maint"
		commands 203.0.113.16 --maintenance "$LAB/maint" --announce-maint --med-maint 0 \
			--maint-community 65000:9 --maint-as-path 65002 --local-preference 0
		commands 203.0.113.17 --med 4294967295 --local-preference 4294967295 \
			--extended-community origin:65000:0 --extended-community target:192.0.2.2:65535
		# The drain form (end of input drains too): 65535:0 and the worst MED.
		printf 'up\n' | hc-announce --min-lifetime 0 --drain 10ms 203.0.113.15 2>/dev/null
	} >"$cmds"
	grep -q 'community \[ 65535:0 \]' "$cmds"
	grep -q 'med 0 local-preference 0 as-path \[ 65002 \] community \[ 65000:9 \]' "$cmds"
	local n
	n=$(wc -l <"$cmds")
	((n >= 50))
	# A control: a comma inside [ ] must come back "error", or this test proves nothing.
	echo 'announce route 203.0.113.99/32 next-hop self community [ 65000:1, 65000:2 ]' >>"$cmds"

	cat >"$LAB/feeder" <<-'EOF'
		#!/bin/sh
		# Writes each line of $1 as a command and records the ack for it in $2.
		while IFS= read -r cmd <&3; do
			printf '%s\n' "$cmd"
			IFS= read -r ack || exit 1
			printf '%s\t%s\n' "$ack" "$cmd" >>"$2"
		done 3<"$1"
		printf 'end\n' >>"$2"
		while IFS= read -r _; do :; done
	EOF
	chmod +x "$LAB/feeder"
	exabgp_with "$LAB/feeder $cmds $LAB/acks"
	wait_until 20 grep -qx end "$LAB/acks"
	wait_until 10 bird_established

	run grep -c $'^done\t' "$LAB/acks"
	[[ $output == "$n" ]] || { grep -v $'^done\t' "$LAB/acks" >&2; false; }
	run tail -n 2 "$LAB/acks"
	[[ ${lines[0]} == $'error\tannounce route 203.0.113.99/32 next-hop self community [ 65000:1, 65000:2 ]' ]]
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

# failing_pipeline MIN_LIFETIME: a process whose upstream fails at once.
failing_pipeline() {
	cat >"$LAB/pipeline" <<-EOF
		#!/bin/sh
		false | exec "$(command -v hc-announce)" --min-lifetime $1 203.0.113.10
	EOF
	chmod +x "$LAB/pipeline"
	exabgp_with "$LAB/pipeline"
}

# passed_us T0 US: at least US microseconds have passed since T0 (now_us).
passed_us() {
	(($(now_us) - $1 >= $2))
}

exabgp_exited() {
	! kill -0 "$(cat "$LAB/exabgp.pid")" 2>/dev/null
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
	# ExaBGP 4.2's processes inherit its standard error.
	wait_until 20 grep -q "routes withdrawn; exiting in" "$LAB/exabgp.err"
	# Long enough for ExaBGP to have respawned it 6 times without the rule.
	local t0
	t0=$(now_us)
	wait_until 10 passed_us "$t0" 4000000
	run ! exabgp_exited
	run grep -c "start: withdraw 1 prefix" "$LAB/exabgp.err"
	assert_output 1
	run bird_route 203.0.113.10/32
	assert_output ""
}
