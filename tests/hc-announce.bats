#!/usr/bin/env bats
# hc-announce: the exact ExaBGP commands for every option and every transition.
# shellcheck disable=SC2154 # $output, $stderr, $status are set by bats

load test_helper
load lib-announce
load lib-stall

W="withdraw route 203.0.113.10/32 next-hop self"
A="announce route 203.0.113.10/32 next-hop self"

teardown() {
	stop_bg_all
}

@test "hc-announce: withdraws at start, announces on up, withdraws on down and at the end" {
	announce_with 'up rc=0 ms=0.41\ndown rc=1\nup rc=0\n' 203.0.113.10
	assert_success
	assert_output - <<-EOF
		$W
		$A med 100
		$W
		$A med 100
		$W
	EOF
}

@test "hc-announce: nothing is announced before an up line" {
	announce_with 'down\ndown\n' 203.0.113.10 --announce-down
	assert_success
	assert_output "$W"
}

@test "hc-announce: writes a command only when what the router sees changes" {
	announce_with 'up\nup ms=1\nup ms=2\ndown\ndown\ndown\nup\n' 203.0.113.10
	assert_success
	assert_output - <<-EOF
		$W
		$A med 100
		$W
		$A med 100
		$W
	EOF
}

@test "hc-announce: a bare address is a host route, and IPv6 uses its --next-hop" {
	announce_with 'up\n' --next-hop 2001:db8::2 203.0.113.10 2001:db8::1 2001:db8:1::/48
	assert_success
	assert_output - <<-EOF
		$W
		withdraw route 2001:db8::1/128 next-hop 2001:db8::2
		withdraw route 2001:db8:1::/48 next-hop 2001:db8::2
		$A med 100
		announce route 2001:db8::1/128 next-hop 2001:db8::2 med 100
		announce route 2001:db8:1::/48 next-hop 2001:db8::2 med 100
		$W
		withdraw route 2001:db8::1/128 next-hop 2001:db8::2
		withdraw route 2001:db8:1::/48 next-hop 2001:db8::2
	EOF
}

@test "hc-announce: an explicit IPv4 next hop replaces self" {
	announce_with 'up\n' -n 192.0.2.2 -n 2001:db8::2 203.0.113.10
	assert_output - <<-EOF
		withdraw route 203.0.113.10/32 next-hop 192.0.2.2
		announce route 203.0.113.10/32 next-hop 192.0.2.2 med 100
		withdraw route 203.0.113.10/32 next-hop 192.0.2.2
	EOF
}

@test "hc-announce: an IPv6 prefix without an IPv6 next hop fails at start in one line" {
	announce_with 'up\n' 203.0.113.10 2001:db8::/64
	assert_failure 2
	[[ $stderr == "hc-announce: IPv6 prefix 2001:db8::/64 needs an IPv6 --next-hop ('next-hop self' over an IPv4 session breaks the session)" ]]
	# The IPv4 prefix it could name is withdrawn, never announced.
	assert_output "$W"
}

@test "hc-announce: every attribute is written in ExaBGP 4.2 syntax" {
	announce_with 'up\n' 203.0.113.10 --origin igp --med 50 --local-preference 200 \
		--as-path 65001 --as-path 65001 --community 65000:1 --community no-export \
		--community 0065000:007 --large-community 65000:1:2 --large-community 4294967295:0:1 \
		--extended-community target:65000:1 --extended-community origin:192.0.2.1:7 \
		--extended-community target:4200000000:1 --path-id 3
	assert_success
	assert_output - <<-EOF
		$W path-information 3
		$A origin igp med 50 local-preference 200 as-path [ 65001 65001 ] community [ 65000:1 no-export 65000:7 ] large-community [ 65000:1:2 4294967295:0:1 ] extended-community [ 0x0002fde800000001 0x0103c00002010007 0x0202fa56ea000001 ] path-information 3
		$W path-information 3
	EOF
}

@test "hc-announce: every well-known community name is accepted as ExaBGP spells it" {
	announce_with 'up\n' 203.0.113.10 --community no-export --community no-advertise \
		--community no-export-subconfed --community nopeer --community blackhole
	assert_success
	assert_line -n 1 "$A med 100 community [ no-export no-advertise no-export-subconfed nopeer blackhole ]"
}

@test "hc-announce: --med-step raises the MED of each extra prefix" {
	announce_with 'up\n' --med 10 --med-step 5 203.0.113.10 203.0.113.11 203.0.113.12
	assert_success
	assert_line -n 3 "$A med 10"
	assert_line -n 4 "announce route 203.0.113.11/32 next-hop self med 15"
	assert_line -n 5 "announce route 203.0.113.12/32 next-hop self med 20"
}

@test "hc-announce: --announce-down stays announced with the down MED and its own attributes" {
	announce_with 'up\ndown\nup\n' 203.0.113.10 --announce-down --med-down 900 \
		--community 65000:1 --up-community 65000:100 --down-community 65000:200 \
		--as-path 65001 --down-as-path 65001 --down-as-path 65001 --down-as-path 65001
	assert_success
	assert_output - <<-EOF
		$W
		$A med 100 as-path [ 65001 ] community [ 65000:1 65000:100 ]
		$A med 900 as-path [ 65001 65001 65001 ] community [ 65000:1 65000:200 ]
		$A med 100 as-path [ 65001 ] community [ 65000:1 65000:100 ]
		$W
	EOF
}

@test "hc-announce: the default down MED is 1000" {
	announce_with 'up\ndown\n' 203.0.113.10 --announce-down
	assert_line -n 2 "$A med 1000"
}

@test "hc-announce: --up-as-path replaces --as-path while up" {
	announce_with 'up\n' 203.0.113.10 --as-path 65001 --up-as-path 65002 --up-as-path 65003
	assert_line -n 1 "$A med 100 as-path [ 65002 65003 ]"
}

@test "hc-announce: malformed input withdraws, warns and never announces" {
	local bad
	for bad in 'up\r\n' '\n' 'UP\n' 'up  rc=0\n' 'up rc\n' 'maybe\n' 'up'; do
		announce_with "up\\n$bad" 203.0.113.10 --announce-down
		assert_success
		assert_output - <<-EOF
			$W
			$A med 100
			$W
		EOF
		[[ $stderr == *"up -> invalid: withdraw (malformed input: "* ]]
	done
}

@test "hc-announce: ExaBGP's acks on its input say it is the wrong stage" {
	announce_with 'done\ndone\n' 203.0.113.10
	assert_output - <<-EOF
		$W
	EOF
	[[ $stderr == *"start -> invalid: stay withdrawn (malformed input: ExaBGP's 'done' on standard input; hc-announce must not be the first stage of the run pipeline)"* ]]
}

@test "hc-announce: an over-long line is malformed" {
	long=$(printf 'up x=%01100d' 0)
	announce_with "up\\n$long\\n" 203.0.113.10
	assert_output - <<-EOF
		$W
		$A med 100
		$W
	EOF
	[[ $stderr == *"(malformed input: line too long)"* ]]
}

@test "hc-announce: a valid line after a malformed one announces again" {
	announce_with 'up\nup\r\nup\n' 203.0.113.10
	assert_output - <<-EOF
		$W
		$A med 100
		$W
		$A med 100
		$W
	EOF
	[[ $stderr == *"invalid -> up: announce med 100"* ]]
}

@test "hc-announce: --med-from takes the MED from the stream, bounded" {
	announce_with 'up metric=140\nup metric=7\nup metric=99999\nup metric=120.6\nup metric=-3\nup metric=333.4999\n' \
		203.0.113.10 --med-from metric --med-min 50 --med-max 1000
	assert_success
	assert_output - <<-EOF
		$W
		$A med 140
		$A med 50
		$A med 1000
		$A med 121
		$A med 50
		$A med 333
		$W
	EOF
}

@test "hc-announce: --med-hysteresis ignores small changes of the field" {
	announce_with 'up metric=100\nup metric=109\nup metric=91\nup metric=110\nup metric=105\ndown\nup metric=104\n' \
		203.0.113.10 --med-from metric --med-hysteresis 10
	assert_success
	assert_output - <<-EOF
		$W
		$A med 100
		$A med 110
		$W
		$A med 104
		$W
	EOF
	[[ $stderr == *"up: med 100 -> 110 (up metric=110)"* ]]
}

@test "hc-announce: an up line without the MED field keeps the MED and says so once" {
	announce_with 'up\nup metric=x\nup metric=1e3\nup metric=300\nup metric=.5\nup\n' 203.0.113.10 --med-from metric
	assert_success
	assert_output - <<-EOF
		$W
		$A med 100
		$A med 300
		$W
	EOF
	[[ $(grep -c "without a number in metric=" <<<"$stderr") == 2 ]]
}

@test "hc-announce: --neighbor selects one neighbor" {
	announce_with 'up\n' 203.0.113.10 --neighbor 192.0.2.1
	assert_output - <<-EOF
		neighbor 192.0.2.1 $W
		neighbor 192.0.2.1 $A med 100
		neighbor 192.0.2.1 $W
	EOF
}

@test "hc-announce: --peer-syntax writes the ExaBGP 6 form" {
	announce_with 'up\n' 203.0.113.10 --peer-syntax
	assert_output - <<-EOF
		peer * $W
		peer * $A med 100
		peer * $W
	EOF
	announce_with 'up\n' 203.0.113.10 --peer-syntax --neighbor 2001:db8::1
	assert_line -n 1 "peer 2001:db8::1 $A med 100"
}

@test "hc-announce: --api 6, or exabgp_api_version=6 in the environment, writes the peer form" {
	announce_with 'up\n' 203.0.113.10 --api 6
	assert_line -n 1 "peer * $A med 100"
	exabgp_api_version=6 announce_with 'up\n' 203.0.113.10
	assert_line -n 1 "peer * $A med 100"
	run --separate-stderr env exabgp.api.version=6 bash -c 'printf "up\n" | hc-announce --min-lifetime 0 203.0.113.10'
	assert_line -n 1 "peer * $A med 100"
	# --api wins over the environment; API 4 is the default.
	exabgp_api_version=6 announce_with 'up\n' 203.0.113.10 --api 4
	assert_line -n 1 "$A med 100"
	exabgp_api_version=4 announce_with 'up\n' 203.0.113.10
	assert_line -n 1 "$A med 100"
	announce_with 'up\n' 203.0.113.10
	assert_line -n 1 "$A med 100"
}

@test "hc-announce: with API 6 an as-path number above 65535 is refused (ExaBGP main answers error)" {
	announce_with 'up\n' 203.0.113.10 --api 6 --as-path 65535 --down-as-path 65001
	assert_success
	assert_line -n 1 "peer * $A med 100 as-path [ 65535 ]"
	announce_with 'up\n' 203.0.113.10 --api 6 --down-as-path 4200000000
	[[ $status == 2 ]]
	[[ $stderr == *"AS number 4200000000 in an as-path: ExaBGP 6 (main) refuses AS numbers above 65535 there"* ]]
	assert_output "peer * $W"
	announce_with 'up\n' 203.0.113.10 --as-path 4200000000
	assert_success
	assert_line -n 1 "$A med 100 as-path [ 4200000000 ]"
}

@test "hc-announce: transitions are logged on stderr with a timestamp" {
	announce_with 'up\ndown rc=1\n' 203.0.113.10 --name web
	assert_success
	local ts='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z'
	[[ ${stderr_lines[0]} =~ ^hc-announce:\ $ts\ web:\ start:\ withdraw\ 1\ prefix\ until\ an\ up\ line$ ]]
	[[ ${stderr_lines[1]} =~ ^hc-announce:\ $ts\ web:\ start\ -\>\ up:\ announce\ med\ 100\ \(up\)$ ]]
	[[ ${stderr_lines[2]} =~ ^hc-announce:\ $ts\ web:\ up\ -\>\ down:\ withdraw\ \(down\ rc=1\)$ ]]
	[[ ${stderr_lines[3]} =~ ^hc-announce:\ $ts\ web:\ down\ -\>\ stopped:\ stay\ withdrawn\ \(end\ of\ input\)$ ]]
}

@test "hc-announce: --stale withdraws when the upstream goes silent" {
	announce_bg --min-lifetime 0 --stale 300ms 203.0.113.10
	echo up >&4
	wait_until 20 out_has "$A med 100"
	wait_until 20 err_has "up -> stale: withdraw (no status line for 300.00 ms)"
	[[ $(tail -n 1 "$BATS_TEST_TMPDIR/ann.out") == "$W" ]]
	echo up >&4
	wait_until 20 err_has "stale -> up: announce med 100"
	# Silent again, it goes stale again 300 ms later, which a busy machine
	# may let pass before the next line: the order is what counts.
	run head -n 4 "$BATS_TEST_TMPDIR/ann.out"
	assert_output - <<-EOF
		$W
		$A med 100
		$W
		$A med 100
	EOF
}

@test "hc-announce: --maintenance withdraws while the file exists, without any input" {
	local m=$BATS_TEST_TMPDIR/maint
	announce_bg --min-lifetime 0 --maintenance "$m" 203.0.113.10
	echo up >&4
	wait_until 20 out_has "$A med 100"
	local t0
	t0=$(now_us)
	touch "$m"
	wait_until 20 err_has "up -> maintenance: withdraw (maintenance file $m exists)"
	# The file is looked at twice a second.
	elapsed=$((($(now_us) - t0) / 1000))
	((elapsed < 500 + HC_TEST_SLACK_MS))
	[[ $(tail -n 1 "$BATS_TEST_TMPDIR/ann.out") == "$W" ]]
	echo up >&4
	echo down >&4
	echo up >&4
	rm "$m"
	wait_until 20 err_has "maintenance -> up: announce med 100 (maintenance file $m removed)"
	[[ $(out_count) == 4 ]]
}

@test "hc-announce: --announce-maint keeps the routes with the maintenance MED" {
	local m=$BATS_TEST_TMPDIR/maint
	touch "$m"
	announce_bg --min-lifetime 0 --maintenance "$m" --announce-maint --maint-community 65000:666 203.0.113.10
	echo up >&4
	wait_until 20 out_has "$A med 500 community [ 65000:666 ]"
	echo down >&4
	wait_until 20 err_has "maintenance: withdraw (down)"
	rm "$m"
	wait_until 20 err_has "maintenance -> down: stay withdrawn (maintenance file $m removed)"
	echo up >&4
	wait_until 20 out_has "$A med 100"
	[[ $(out_count) == 4 ]]
}

@test "hc-announce: SIGTERM withdraws everything and exits at once" {
	announce_bg 203.0.113.10
	echo up >&4
	wait_until 20 out_has "$A med 100"
	kill -TERM "$(ann_pid)"
	wait_until 20 ann_exited
	[[ $(tail -n 1 "$BATS_TEST_TMPDIR/ann.out") == "$W" ]]
	err_has "up -> stopped: withdraw (SIGTERM)"
}

@test "hc-announce: --drain re-announces with GRACEFUL_SHUTDOWN and the worst MED, then withdraws" {
	announce_bg --drain 600ms --community 65000:1 203.0.113.10
	echo up >&4
	wait_until 20 out_has "$A med 100 community [ 65000:1 ]"
	local t0
	t0=$(now_us)
	kill -INT "$(ann_pid)"
	wait_until 20 out_has "$A med 4294967295 community [ 65000:1 65535:0 ]"
	wait_until 20 ann_exited
	elapsed=$((($(now_us) - t0) / 1000))
	ends_at_deadline 600
	[[ $(tail -n 1 "$BATS_TEST_TMPDIR/ann.out") == "$W" ]]
	err_has "draining -> stopped: withdraw (drain time over)"
}

@test "hc-announce: a second signal cuts the drain short" {
	announce_bg --drain 30s --drain-med 5000 203.0.113.10
	echo up >&4
	wait_until 20 out_has "$A med 100"
	kill -TERM "$(ann_pid)"
	wait_until 20 out_has "$A med 5000 community [ 65535:0 ]"
	kill -TERM "$(ann_pid)"
	wait_until 20 ann_exited
	[[ $(tail -n 1 "$BATS_TEST_TMPDIR/ann.out") == "$W" ]]
}

# start_announce_stalled: starts hc-announce with a standard output that nobody
# reads, feeds it lines that each change the MED, and waits until the pipe is
# full and hc-announce blocked on it.
start_announce_stalled() {
	mkfifo "$BATS_TEST_TMPDIR/in"
	exec 4<>"$BATS_TEST_TMPDIR/in"
	HC_BG_STDIN=$BATS_TEST_TMPDIR/in start_stalled ann hc-announce --med-from m 203.0.113.10
	# Every line is an announce with another MED: 2000 commands, 110 kB.
	local i
	for ((i = 1; i <= 2000; i++)); do
		echo "up m=$i"
	done >&4
	wait_until 60 pipe_stays_full "$BATS_TEST_TMPDIR/ann.fifo"
}

@test "hc-announce: SIGTERM ends it while ExaBGP never reads: 5 s for the withdraw, then exit 3" {
	start_announce_stalled
	kill -TERM "$stalled_pid"
	stalled_exit_status 60
	((status == 3))
	err_has "ExaBGP is not reading standard output; the stop waits for it up to 5 s"
	err_has "203.0.113.10/32: withdraw not written: ExaBGP read nothing from standard output for 5 s after SIGTERM; exiting"
}

@test "hc-announce: a second signal ends the stop's wait for ExaBGP at once" {
	start_announce_stalled
	kill -TERM "$stalled_pid"
	wait_until 20 err_has "ExaBGP is not reading standard output; the stop waits for it up to 5 s"
	kill -TERM "$stalled_pid"
	stalled_exit_status 60
	((status == 3))
	err_has "203.0.113.10/32: withdraw not written: ExaBGP did not read standard output before the next signal; exiting"
	! err_has "for 5 s after SIGTERM"
}

@test "hc-announce: end of input soon after start waits out --min-lifetime, routes withdrawn" {
	elapsed_ms bash -c 'printf "up\n" | hc-announce --min-lifetime 1200ms 203.0.113.10 >"$1" 2>"$2"' _ \
		"$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err"
	[[ $status == 0 ]]
	ends_at_deadline 1200
	[[ $(tail -n 1 "$BATS_TEST_TMPDIR/out") == "$W" ]]
	grep -q "end of input .* after start; routes withdrawn; exiting in .* so that ExaBGP cannot respawn" "$BATS_TEST_TMPDIR/err"
}

@test "hc-announce: with nobody reading its output it exits at once and says so" {
	# ExaBGP gone: the read end of its standard output is closed before it starts.
	elapsed_ms run --separate-stderr python3 -c '
import os, sys
r, w = os.pipe()
os.close(r)
os.dup2(w, 1)
os.execvp("hc-announce", ["hc-announce", "--min-lifetime", "30s", "203.0.113.10"])
' </dev/null
	((elapsed < 10000))
	[[ $stderr == *"standard output failed"*"routes withdrawn; exiting now: nobody reads standard output"* ]]
	[[ $stderr != *"exiting in"* ]]
}

@test "hc-announce: a signal ends the --min-lifetime wait at once" {
	announce_bg --min-lifetime 30s 203.0.113.10
	exec 4>&-
	wait_until 20 err_has "exiting in"
	kill -TERM "$(ann_pid)"
	wait_until 20 ann_exited
}

@test "hc-announce: a configuration error also waits out --min-lifetime" {
	elapsed_ms bash -c 'hc-announce --min-lifetime 800ms --med x 203.0.113.10 </dev/null >/dev/null 2>&1'
	[[ $status == 2 ]]
	ends_at_deadline 800
}

# refuses EXPECTED ARGS...: hc-announce ARGS exits 2 with one stderr line
# starting "hc-announce: EXPECTED", and announces nothing.
refuses() {
	local expect=$1
	shift
	run --separate-stderr hc-announce --min-lifetime 0 "$@" </dev/null
	if [[ $status != 2 || ${#stderr_lines[@]} != 1 || $stderr != "hc-announce: $expect"* ||
		$output == *announce* ]]; then
		echo "for '$*': status $status, stderr: $stderr, output: $output" >&2
		return 1
	fi
}

@test "hc-announce: each invalid value is refused in one line with exit 2" {
	refuses "invalid prefix '203.0.113.10/24': " 203.0.113.10/24
	refuses "invalid prefix 'x': " x
	refuses "invalid prefix '203.0.113.10/32': given twice" 203.0.113.10 203.0.113.10/32
	refuses "invalid --med '-1': must not be negative" --med -1 203.0.113.10
	refuses "invalid --med '4294967296': too large" --med 4294967296 203.0.113.10
	refuses "invalid --med-down '1e3': " --med-down 1e3 203.0.113.10
	refuses "invalid --community '65536:1': a part is larger than 65535" --community 65536:1 203.0.113.10
	refuses "invalid --community 'No-Export': " --community No-Export 203.0.113.10
	refuses "invalid --community '1:2:3': " --community 1:2:3 203.0.113.10
	refuses "invalid --community '65000,1': " --community 65000,1 203.0.113.10
	refuses "invalid --community '': " --community '' 203.0.113.10
	refuses "invalid --large-community '1:2': " --large-community 1:2 203.0.113.10
	refuses "invalid --large-community '1:2:4294967296': " --large-community 1:2:4294967296 203.0.113.10
	refuses "invalid --extended-community 'target:4200000000:65536': " \
		--extended-community target:4200000000:65536 203.0.113.10
	refuses "invalid --extended-community 'route:1:2': " --extended-community route:1:2 203.0.113.10
	refuses "invalid --extended-community 'target:192.0.2.1:70000': " \
		--extended-community target:192.0.2.1:70000 203.0.113.10
	refuses "invalid --as-path '0': AS 0 is reserved" --as-path 0 203.0.113.10
	refuses "invalid --as-path '[': " --as-path '[' 203.0.113.10
	refuses "invalid --origin 'IGP': not igp, egp or incomplete" --origin IGP 203.0.113.10
	refuses "invalid --api '5': 4 or 6" --api 5 203.0.113.10
	refuses "invalid --next-hop 'self6': " --next-hop self6 203.0.113.10
	refuses "invalid --next-hop '192.0.2.3': an IPv4 next hop was already given" \
		-n 192.0.2.2 -n 192.0.2.3 203.0.113.10
	refuses "invalid --neighbor '192.0.2.300': " --neighbor 192.0.2.300 203.0.113.10
	refuses "invalid --neighbor '192.0.2.3': only one --neighbor" --neighbor 192.0.2.1 --neighbor 192.0.2.3 203.0.113.10
	refuses "invalid --stale '5x': " --stale 5x 203.0.113.10
	refuses "invalid --stale '0': too small" --stale 0 203.0.113.10
	refuses "invalid --drain '-1s': " --drain -1s 203.0.113.10
	refuses "invalid --med-from 'Metric': not a stream key" --med-from Metric 203.0.113.10
	refuses "--med-min, --med-max and --med-hysteresis need --med-from" --med-max 10 203.0.113.10
	refuses "--med-min 20 is larger than --med-max 10" --med-from m --med-min 20 --med-max 10 203.0.113.10
	refuses "--med 4294967295 plus --med-step 1 per extra prefix passes 4294967295" \
		--med 4294967295 --med-step 1 203.0.113.10 203.0.113.11
	refuses "invalid --path-id 'x': " --path-id x 203.0.113.10
	refuses "invalid --name 'a b': " --name 'a b' 203.0.113.10
	refuses "missing PREFIX" --med 1
}

@test "hc-announce: a number with a fraction is no AS number or community part (ExaBGP refuses it)" {
	refuses "invalid --community '65000:1.0': not a number" --community 65000:1.0 203.0.113.10
	refuses "invalid --large-community '1:2.0:3': not a number" --large-community 1:2.0:3 203.0.113.10
	refuses "invalid --extended-community 'target:65000.0:1': " \
		--extended-community target:65000.0:1 203.0.113.10
	refuses "invalid --extended-community 'target:65000:1.0': " \
		--extended-community target:65000:1.0 203.0.113.10
	refuses "invalid --as-path '65001.00': not a number" --as-path 65001.00 203.0.113.10
}

@test "hc-announce: a bad option still withdraws the prefixes it names" {
	run --separate-stderr hc-announce --min-lifetime 0 --med x 203.0.113.10 198.51.100.7 </dev/null
	assert_failure 2
	assert_output - <<-EOF
		$W
		withdraw route 198.51.100.7/32 next-hop self
	EOF
}

@test "hc-announce: an unknown option is a usage error" {
	run --separate-stderr hc-announce --min-lifetime 0 --bogus 203.0.113.10 </dev/null
	assert_failure 2
	[[ ${stderr_lines[0]} == "hc-announce: unrecognized option '--bogus'" ]]
}

@test "hc-announce: --help describes every option and exits 0" {
	run --separate-stderr hc-announce --help
	assert_success
	[[ $output == *"--announce-down"* && $output == *"--min-lifetime=DURATION"* ]]
}

@test "hc-announce: --metrics writes a Prometheus textfile, replaced atomically" {
	local m=$BATS_TEST_TMPDIR/hc.prom
	announce_bg --min-lifetime 0 --name web --metrics "$m" 203.0.113.10 203.0.113.11
	echo "up ms=12.5" >&4
	wait_until 20 grep -qx 'hc_announce_announced{service="web"} 2' "$m"
	grep -qx 'hc_announce_state{service="web",state="up"} 1' "$m"
	grep -qx 'hc_announce_state{service="web",state="start"} 0' "$m"
	grep -qx 'hc_announce_up{service="web"} 1' "$m"
	grep -qx 'hc_announce_med{service="web"} 100' "$m"
	grep -qx 'hc_announce_transitions_total{service="web"} 1' "$m"
	grep -qx 'hc_announce_last_check_duration_seconds{service="web"} 0.012500' "$m"
	grep -qx '# TYPE hc_announce_transitions_total counter' "$m"
	grep -Eqx 'hc_announce_last_change_timestamp_seconds\{service="web"\} [0-9]{10}\.[0-9]{3}' "$m"
	echo down >&4
	wait_until 20 grep -qx 'hc_announce_announced{service="web"} 0' "$m"
	grep -qx 'hc_announce_state{service="web",state="down"} 1' "$m"
	grep -qx 'hc_announce_transitions_total{service="web"} 2' "$m"
	run ! grep -q hc_announce_med "$m"
	[[ ! -e $m.tmp ]]
}

@test "hc-announce: --metrics follows a state change that changes no route" {
	local m=$BATS_TEST_TMPDIR/hc.prom
	announce_bg --min-lifetime 0 --name web --metrics "$m" 203.0.113.10
	wait_until 20 grep -qx 'hc_announce_state{service="web",state="start"} 1' "$m"
	echo down >&4
	wait_until 20 grep -qx 'hc_announce_state{service="web",state="down"} 1' "$m"
	grep -qx 'hc_announce_transitions_total{service="web"} 1' "$m"
}

# metric FILE SERIES: the value of SERIES (name and labels, as written) in FILE.
metric() {
	awk -v s="$2" '$1 == s { print $2; found = 1 } END { exit !found }' "$1"
}

@test "hc-announce: --metrics counts check results before dampening, and only checks" {
	local m=$BATS_TEST_TMPDIR/hc.prom
	announce_bg --min-lifetime 0 --name web --metrics "$m" 203.0.113.10
	# hc-dampen's lines: a check held up, a timer line, an invalid line it replaced.
	printf '%s\n' 'up rc=0 ms=3 raw=up' 'up rc=1 ms=30 raw=down' 'up rc=1 ms=30 raw=down why=timer' \
		'down raw=down why=invalid' 'down why=eof' 'bogus' 'up ms=7000' >&4
	wait_until 5 grep -q 'result="invalid"} 2$' "$m"
	wait_until 5 metric "$m" 'hc_announce_up{service="web"}' >/dev/null
	[[ $(metric "$m" 'hc_announce_checks_total{service="web",result="up"}') == 2 ]]
	[[ $(metric "$m" 'hc_announce_checks_total{service="web",result="down"}') == 1 ]]
	[[ $(metric "$m" 'hc_announce_check_duration_seconds_count{service="web"}') == 3 ]]
	[[ $(metric "$m" 'hc_announce_check_duration_seconds_sum{service="web"}') == 7.033000 ]]
	[[ $(metric "$m" 'hc_announce_check_duration_seconds_bucket{service="web",le="0.005"}') == 1 ]]
	[[ $(metric "$m" 'hc_announce_check_duration_seconds_bucket{service="web",le="0.05"}') == 2 ]]
	[[ $(metric "$m" 'hc_announce_check_duration_seconds_bucket{service="web",le="10"}') == 3 ]]
	[[ $(metric "$m" 'hc_announce_check_duration_seconds_bucket{service="web",le="+Inf"}') == 3 ]]
	[[ $(metric "$m" 'hc_announce_last_check_duration_seconds{service="web"}') == 7.000000 ]]
	# Commands written: the startup withdraw, then announce, withdraw, announce.
	[[ $(metric "$m" 'hc_announce_commands_total{service="web",command="announce"}') == 2 ]]
	[[ $(metric "$m" 'hc_announce_commands_total{service="web",command="withdraw"}') == 2 ]]
	[[ $(out_count) == 4 ]]
	local up start
	up=$(metric "$m" 'hc_announce_last_up_check_timestamp_seconds{service="web"}')
	start=$(metric "$m" 'hc_announce_start_time_seconds{service="web"}')
	awk -v up="$up" -v start="$start" -v now="${EPOCHREALTIME}" \
		'BEGIN { exit !(start <= up && up <= now + 1) }'
	run promtool check metrics <"$m"
	assert_success
}

@test "hc-announce: a down counts one failover, timed from the first failing check; a stop or maintenance none" {
	local m=$BATS_TEST_TMPDIR/hc.prom t0 t1
	announce_bg --min-lifetime 0 --name web --maintenance "$BATS_TEST_TMPDIR/maint" \
		--metrics "$m" 203.0.113.10
	echo 'up raw=up' >&4
	wait_until 5 out_has "$A med 100"
	t0=$(now_us)
	# The first failing check ran 5 s before its line came, so the failover,
	# timed from that check's start, takes at least 5 s, however soon the
	# dampened down follows (timed from the line, it would be far less), and
	# at most 5 s more than the test saw pass.
	echo 'up raw=down ms=5000' >&4
	echo 'down raw=down ms=1' >&4
	wait_until 5 grep -qx 'hc_announce_failovers_total{service="web"} 1' "$m"
	t1=$(now_us)
	local took
	took=$(metric "$m" 'hc_announce_last_failover_duration_seconds{service="web"}')
	echo "failover $took s, $(((t1 - t0) / 1000)) ms seen"
	awk -v s="$took" -v max="$(((t1 - t0) / 1000 + 5000))" 'BEGIN { exit !(s >= 4.999 && s * 1000 <= max) }'
	run ! grep -q hc_announce_last_recovery_duration_seconds "$m"
	echo 'up raw=up' >&4
	wait_until 5 grep -q '^hc_announce_last_recovery_duration_seconds{service="web"} ' "$m"
	# Maintenance withdraws on purpose: no failover.
	touch "$BATS_TEST_TMPDIR/maint"
	wait_until 5 grep -qx 'hc_announce_state{service="web",state="maintenance"} 1' "$m"
	rm "$BATS_TEST_TMPDIR/maint"
	wait_until 5 grep -qx 'hc_announce_state{service="web",state="up"} 1' "$m"
	# hc-dampen's line at its end of input is no failing check: no failover.
	echo 'down why=eof' >&4
	wait_until 5 grep -qx 'hc_announce_state{service="web",state="down"} 1' "$m"
	[[ $(metric "$m" 'hc_announce_failovers_total{service="web"}') == 1 ]]
	[[ $(metric "$m" 'hc_announce_last_failover_duration_seconds{service="web"}') == "$took" ]]
	[[ $(metric "$m" 'hc_announce_commands_total{service="web",command="withdraw"}') == 4 ]]
}

@test "hc-announce: --stale is a failover timed from the last line" {
	local m=$BATS_TEST_TMPDIR/hc.prom
	announce_bg --min-lifetime 0 --name web --stale 300ms --metrics "$m" 203.0.113.10
	echo 'up raw=up' >&4
	wait_until 5 grep -qx 'hc_announce_state{service="web",state="stale"} 1' "$m"
	[[ $(metric "$m" 'hc_announce_failovers_total{service="web"}') == 1 ]]
	awk -v s="$(metric "$m" 'hc_announce_last_failover_duration_seconds{service="web"}')" \
		'BEGIN { exit !(s >= 0.3) }'
}

@test "hc-announce: an unwritable metrics file is reported and the routes still follow the stream" {
	announce_with 'up\n' --metrics /nonexistent-dir/hc.prom 203.0.113.10
	assert_success
	assert_line -n 1 "$A med 100"
	[[ $stderr == *"cannot write metrics to /nonexistent-dir/hc.prom (routes are not affected)"* ]]
}

@test "hc-announce: a closed standard output is an internal failure" {
	run --separate-stderr bash -c '{ sleep 0.3; echo up; } | hc-announce --min-lifetime 0 203.0.113.10 | head -c 0; echo "${PIPESTATUS[1]}"'
	assert_output 3
	[[ $stderr == *"cannot write to ExaBGP (standard output)"* ]]
}
