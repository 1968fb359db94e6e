#!/usr/bin/env bats
# What differs between the ExaBGP versions users run, against each real
# daemon (tests/lib-exabgp.bash): Debian's 4.2.21, 5.0.13 (what `pip install
# exabgp` gives) and main (6.0 in development, when a Python of 3.12 or newer
# is here).  The scenarios of e2e-scenarios.bats run on one version
# ($HC_EXABGP, 4.2 by default); this file runs, on every version, what tells
# them apart: the command forms acked, the shutdown line, respawn, acks,
# "encoder text", and one scenario end to end.
# shellcheck disable=SC2154 # $output, $status are set by bats

load test_helper
load lib-exabgp
load lib-lab

# shellcheck disable=SC2034 # read by bats before each test
BATS_TEST_TIMEOUT=180

setup() {
	[[ ${HC_E2E:-1} != 0 ]] || skip "end-to-end tests switched off (HC_E2E=0)"
	require_root_netns
	for cmd in bird birdc; do
		command -v "$cmd" >/dev/null || skip "needs $cmd"
	done
}

teardown() {
	lab_down
	pair_down
}

# --- the command forms hc-announce writes (4.2: hc-announce-exabgp.bats) ---

@test "ExaBGP 5.0 acks every command form hc-announce writes with done" {
	exabgp_select 5.0
	pair_up
	acks_every_form
}

@test "ExaBGP 6 (API 6) acks every form hc-announce --api 6 writes, and 'error: REASON' then 'error' to the controls" {
	exabgp_select 6
	pair_up
	acks_every_form
}

@test "ExaBGP 6 with exabgp_api_version=4 acks every form hc-announce --api 4 writes" {
	exabgp_select 6
	EXABGP_API=4 # read by announce_forms and exabgp_env
	export EXABGP_API
	pair_up
	acks_every_form
}

# api_forms_answered DONE_OR_ERROR DONE_OR_ERROR: under $EXABGP, "announce route" and "peer * announce
# route" are answered as $1 and $2 (done or error).
api_forms_answered() {
	printf '%s\n' "announce route 203.0.113.20/32 next-hop self" \
		"peer * announce route 203.0.113.21/32 next-hop self" \
		"neighbor 192.0.2.1 announce route 203.0.113.22/32 next-hop self" >"$LAB/cmds"
	write_feeder
	exabgp_with "$LAB/feeder $LAB/cmds $LAB/acks"
	wait_until 30 grep -qx end "$LAB/acks"
	[[ $(grep -P "\tannounce route" "$LAB/acks" | tail -n 1 | cut -f1) == "$1" ]]
	[[ $(grep -P "\tpeer \* announce" "$LAB/acks" | tail -n 1 | cut -f1) == "$2" ]]
	[[ $(grep -P "\tneighbor 192" "$LAB/acks" | tail -n 1 | cut -f1) == "$1" ]]
}

@test "ExaBGP 4.2 and 5.0 refuse the peer form; main's API 6 refuses the bare and neighbor forms" {
	local v
	for v in 4.2 5.0 6; do
		exabgp_resolve "$v" || { echo "# $EXABGP_WHY" >&3; continue; }
		PAIR_DIR=$BATS_TEST_TMPDIR/$v pair_up
		if [[ $v == 6 ]]; then
			api_forms_answered error "done"
		else
			api_forms_answered "done" error
		fi
		pair_down
	done
	exabgp_select 4.2
}

# --- extended communities, as the router reads them ---

# ext_communities: the extended communities BIRD holds on 203.0.113.61/32, sorted.
ext_communities() {
	bird_route 203.0.113.61/32 | grep -o '([a-z]*, [^)]*)' | sort | paste -sd ' '
}

# ext_communities_are LIST: ext_communities is LIST.
ext_communities_are() {
	[[ $(ext_communities) == "$1" ]]
}

@test "every ExaBGP delivers each extended community form as asked (hc-announce writes them in hex)" {
	local v
	for v in 4.2 5.0 6; do
		exabgp_resolve "$v" || { echo "# $EXABGP_WHY" >&3; continue; }
		PAIR_DIR=$BATS_TEST_TMPDIR/$v pair_up
		: >"$LAB/stream"
		cat >"$LAB/pipeline" <<-EOF
			#!/bin/sh
			exec 3<&0
			cat <&3 >>"$LAB/acks" &
			tail -n +1 -f "$LAB/stream" | exec "$HC_BIN/hc-announce" --min-lifetime 0 \\
				--extended-community target:192.0.2.1:100 --extended-community target:4200000000:1 \\
				--extended-community target:65000:4294967295 --extended-community origin:192.0.2.2:7 \\
				203.0.113.61 2>>"$LAB/hc.err"
		EOF
		chmod +x "$LAB/pipeline"
		exabgp_with "$LAB/pipeline"
		echo up >>"$LAB/stream"
		if ! wait_until 60 ext_communities_are \
			"(ro, 192.0.2.2, 7) (rt, 192.0.2.1, 100) (rt, 4200000000, 1) (rt, 65000, 4294967295)"; then
			echo "# ExaBGP $EXABGP_VERSION: $(ext_communities)" >&3
			false
		fi
		echo "# ExaBGP $EXABGP_VERSION: as asked" >&3
		run grep -vcx "done" "$LAB/acks"
		assert_output 0
		pair_down
	done
	exabgp_select 4.2
}

# --- shutdown ---

# shutdown_pipeline: the process is hc-loop (verbose) | hc-announce, with
# everything ExaBGP writes to it also recorded raw in $LAB/stdin.
shutdown_pipeline() {
	cat >"$LAB/pipeline" <<-EOF
		#!/bin/sh
		exec 2>>"$LAB/hc.err"
		tee -a "$LAB/stdin" | "$HC_BIN/hc-loop" -v -i 200ms -t 1s -- true |
			"$HC_BIN/hc-announce" --min-lifetime 0 203.0.113.10
	EOF
	chmod +x "$LAB/pipeline"
	exabgp_with "$LAB/pipeline"
	wait_until 30 bird_established
	wait_until 10 grep -q "start -> up: announce" "$LAB/hc.err"
	wait_until 10 grep -q "run 3: up" "$LAB/hc.err"
	kill -TERM "$(<"$BATS_TEST_TMPDIR/exabgp.pid")"
	wait_until 15 bash -c "! kill -0 $(<"$BATS_TEST_TMPDIR/exabgp.pid") 2>/dev/null"
}

# shutdown_seen_and_obeyed VERSION: ExaBGP VERSION wrote "shutdown PID PPID"
# and an empty line as its last bytes, and hc-loop stopped on that line.
shutdown_seen_and_obeyed() {
	exabgp_select "$1"
	pair_up
	shutdown_pipeline
	tail -c 40 "$LAB/stdin" | od -c >&3 || true
	grep -Eq '^shutdown [0-9]+ [0-9]+$' "$LAB/stdin"
	[[ $(tail -n 2 "$LAB/stdin" | head -n 1) =~ ^shutdown\ [0-9]+\ [0-9]+$ ]]
	[[ -z $(tail -n 1 "$LAB/stdin") ]]
	grep -q 'ExaBGP is shutting down' "$LAB/hc.err"
	# The empty line after it is no error for anyone.
	run grep -c 'malformed\|invalid' "$LAB/hc.err"
	assert_output 0
}

@test "ExaBGP 4.2 writes 'shutdown PID PPID' and an empty line on SIGTERM, and hc-loop stops on it" {
	shutdown_seen_and_obeyed 4.2
}

@test "ExaBGP 5.0 writes 'shutdown PID PPID' and an empty line on SIGTERM, and hc-loop stops on it" {
	shutdown_seen_and_obeyed 5.0
}

@test "ExaBGP 6 writes nothing the process reads before it goes; the end of input stops hc-loop" {
	exabgp_select 6
	pair_up
	shutdown_pipeline
	run grep -c shutdown "$LAB/stdin"
	assert_output 0
	# What stops hc-loop is the end of its input, ExaBGP gone.
	grep -q 'stdin closed: ExaBGP went away' "$LAB/hc.err"
	run grep -c 'ExaBGP is shutting down' "$LAB/hc.err"
	assert_output 0
}

# --- encoder text ---

# starts_without_encoder: ExaBGP, with no "encoder" in the process, acks a command.
starts_without_encoder() {
	printf '%s\n' "$1" >"$LAB/cmds"
	write_feeder
	PAIR_NO_ENCODER=1 exabgp_with "$LAB/feeder $LAB/cmds $LAB/acks"
}

@test "ExaBGP 4.2 and 5.0 refuse a process without 'encoder text;'; main runs it" {
	local v
	for v in 4.2 5.0; do
		exabgp_resolve "$v" || { echo "# $EXABGP_WHY" >&3; continue; }
		PAIR_DIR=$BATS_TEST_TMPDIR/$v pair_up
		starts_without_encoder "announce route 203.0.113.30/32 next-hop self"
		wait_until 30 bash -c "! kill -0 $(<"$BATS_TEST_TMPDIR/exabgp.pid") 2>/dev/null"
		[[ ! -e $LAB/acks ]]
		grep -i 'encoder' "$LAB/exabgp.out" "$LAB/exabgp.err" | head -n 2 >&3
		pair_down
	done
	exabgp_select 6
	pair_up
	starts_without_encoder "peer * announce route 203.0.113.30/32 next-hop self"
	wait_until 30 grep -qx end "$LAB/acks"
	run head -n 1 "$LAB/acks"
	assert_output $'done\tpeer * announce route 203.0.113.30/32 next-hop self'
	wait_until 30 bird_has 203.0.113.30/32 "BGP.next_hop: 192.0.2.2"
}

# --- respawn ---

@test "ExaBGP 5.0: without the minimum lifetime a failing pipeline makes it exit; with it, it starts once" {
	exabgp_select 5.0
	pair_up
	failing_pipeline 0
	wait_until 70 exabgp_exited
	cat "$LAB/exabgp.out" "$LAB/exabgp.err" | grep -q "Too many death"
	run grep -c "start: withdraw 1 prefix" "$LAB/exabgp.err"
	echo "# ExaBGP 5.0 exited after $output starts" >&3
	((output >= 6))
	pair_down

	pair_up
	failing_pipeline 15s
	wait_until 30 bird_established
	respawn_held 10
}

@test "ExaBGP 6 abandons a pipeline that dies too often, stays up, and keeps what it announced" {
	exabgp_select 6
	pair_up
	# Announces, then dies at once: a fast loop of deaths.
	cat >"$LAB/pipeline" <<-EOF
		#!/bin/sh
		echo start >>"$LAB/starts"
		printf 'peer * announce route 203.0.113.40/32 next-hop self\n'
		IFS= read -r ack
		echo "\$ack" >>"$LAB/acks"
	EOF
	chmod +x "$LAB/pipeline"
	exabgp_with "$LAB/pipeline"
	local n t0
	wait_until 70 bash -c "cat '$LAB/exabgp.out' '$LAB/exabgp.err' | grep -q 'process.respawn.exceeded'"
	n=$(wc -l <"$LAB/starts")
	t0=$(now_us)
	wait_until 10 passed_us "$t0" 3000000
	[[ $(wc -l <"$LAB/starts") == "$n" ]]
	echo "# ExaBGP 6 started the pipeline $n times, then gave up" >&3
	((n == 6))
	run ! exabgp_exited
	# The route outlives its process: ExaBGP still sends it to the router.
	# (Only once ExaBGP had acked the announce "done".)
	grep -qx "done" "$LAB/acks"
	wait_until 60 bird_has 203.0.113.40/32 "BGP.next_hop: 192.0.2.2"
}

# --- acks ---

# ack_probe CMD...: writes each CMD and records what comes back within 1 s
# ("CMD<TAB>ANSWER1 ANSWER2 ..."), in $LAB/probe.
ack_probe() {
	printf '%s\n' "$@" >"$LAB/cmds"
	cat >"$LAB/prober" <<-'EOF'
		#!/bin/bash
		while IFS= read -r cmd <&3; do
			printf '%s\n' "$cmd"
			got=""
			while IFS= read -r -t 1 ack; do got+="$ack "; done
			printf '%s\t%s\n' "$cmd" "${got% }" >>"$2"
		done 3<"$1"
		printf 'end\n' >>"$2"
		while IFS= read -r _; do :; done
	EOF
	chmod +x "$LAB/prober"
	exabgp_with "$LAB/prober $LAB/cmds $LAB/probe"
	wait_until 60 grep -qx end "$LAB/probe"
	cat "$LAB/probe" >&3
}

@test "ExaBGP 5.0: disable-ack, silence-ack and enable-ack" {
	exabgp_select 5.0
	pair_up
	ack_probe "announce route 203.0.113.50/32 next-hop self" disable-ack \
		"announce route 203.0.113.51/32 next-hop self" enable-ack \
		"announce route 203.0.113.52/32 next-hop self" silence-ack \
		"announce route 203.0.113.53/32 next-hop self" enable-ack \
		"announce route 203.0.113.54/32 next-hop self"
	# Measured: disable-ack is itself acked, silence-ack is not.
	run cut -f2 "$LAB/probe"
	assert_output - <<-EOF
		done
		done

		done
		done


		done
		done
		end
	EOF
}

# --- main's error reasons, as hc-loop reports them ---

@test "ExaBGP 6: hc-loop says the reason main writes before its 'error', in its one line for the refused command" {
	exabgp_select 6
	# main's API 4 refuses an as-path number above 65535, with a reason.
	EXABGP_API=4 # read by exabgp_env
	export EXABGP_API
	pair_up
	cat >"$LAB/pipeline" <<-EOF
		#!/bin/sh
		exec 2>>"$LAB/hc.err"
		tee -a "$LAB/stdin" | "$HC_BIN/hc-loop" -i 200ms -t 1s -- true |
			"$HC_BIN/hc-announce" --min-lifetime 0 --as-path 4200000000 203.0.113.10
	EOF
	chmod +x "$LAB/pipeline"
	exabgp_with "$LAB/pipeline"
	wait_until 30 grep -q "answered 'error'" "$LAB/hc.err"
	# What main wrote: "done" to the start's withdraw, then the reason and "error".
	cat "$LAB/stdin" >&3
	run grep -n '^error' "$LAB/stdin"
	[[ ${#lines[@]} == 2 && ${lines[0]} == *":error: "*65535* && ${lines[1]} == *":error" ]]
	local reason
	reason=$(grep -m 1 '^error: ' "$LAB/stdin" | cut -c8-)
	run grep -c "ExaBGP answered 'error'" "$LAB/hc.err"
	assert_output 1
	run grep -F "ExaBGP answered 'error' to a command: $reason" "$LAB/hc.err"
	assert_success
	# The reason line is neither an ack of its own nor bad input.
	run grep -c 'malformed\|invalid\|more command' "$LAB/hc.err"
	assert_output 0
}

# --- main at 4460078e and BIRD's End-of-RIB ---

# eor_resets_reach N: main's log shows N sessions ended on an End-of-RIB.
eor_resets_reach() {
	local n
	n=$(grep -c "async.mainloop.exception error='EOR' object has no attribute 'data'" "$LAB/exabgp.err")
	((n >= $1))
}

@test "ExaBGP 6 (4460078e) resets its session on the End-of-RIB a BIRD with graceful restart 'aware' (its default) sends" {
	exabgp_select 6
	EXABGP_BIRD_DEFAULTS=1 pair_up
	run grep -c graceful "$LAB/bird.conf"
	assert_output 0
	cat >"$LAB/announcer" <<-'EOF'
		#!/bin/sh
		printf 'peer * announce route 203.0.113.70/32 next-hop self\n'
		while IFS= read -r _; do :; done
	EOF
	chmod +x "$LAB/announcer"
	exabgp_with "$LAB/announcer"
	# Each session ends at BIRD's End-of-RIB, and ExaBGP connects again.
	wait_until 60 eor_resets_reach 2
	grep -A 12 -m 1 'Traceback' "$LAB/exabgp.err" | grep -q 'handlers/update.py.*handle_async'
	grep -m 1 -B 2 -A 1 "parsed = update.data" "$LAB/exabgp.err" >&3
	run grep -c 'peer\.connected' "$LAB/exabgp.err"
	((output >= 2))
}

# --- one scenario end to end: examples/active-active, unchanged ---

# active_active_fails_over: 2 hosts; host 2's service dies and returns; the
# router's FIB follows.  false at the first step that does not hold.
active_active_fails_over() {
	lab_up_serving 2 "$HC_SRCDIR/examples/active-active/exabgp.conf" || return 1
	lab_service_stop 2
	wait_until 20 lab_nexthops_are "$H1" || return 1
	lab_service_start 2
	wait_until 20 lab_nexthops_are "$H1" "$H2" || return 1
}

# one_session_each: every host's ExaBGP log shows one established session
# and no unhandled exception (main's log words: peer.connected,
# peer.exception.unhandled).
one_session_each() {
	local i logs
	for i in 1 2; do
		logs=("$LAB_DIR/exabgp-h$i.log" "$LAB_DIR/exabgp-h$i.out")
		run bash -c 'cat "$@" 2>/dev/null | grep -c "peer\.connected"' _ "${logs[@]}"
		[[ $output == 1 ]] || { echo "# host $i: $output sessions" >&3; return 1; }
		run bash -c 'cat "$@" 2>/dev/null | grep -c "peer\.exception\.unhandled"' _ "${logs[@]}"
		[[ $output == 0 ]] || { cat "${logs[@]}" 2>/dev/null | grep -m 3 exception >&3; return 1; }
	done
}

@test "ExaBGP 5.0: e2e active-active with the example unchanged" {
	HC_EXABGP=5.0 lab_require
	active_active_fails_over
}

@test "ExaBGP 6: e2e active-active with the example unchanged, exabgp_api_version=6 in ExaBGP's environment, BIRD with graceful restart off" {
	HC_EXABGP=6 lab_require
	active_active_fails_over
	grep -q "graceful restart off;" "$LAB_DIR/bird.conf"
	one_session_each
}
