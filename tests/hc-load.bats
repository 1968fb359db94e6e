#!/usr/bin/env bats
# hc-load: exact decisions from recorded /proc and /sys files (tests/fixtures/load,
# see its README), and measurements of the live system: real CPU burners, real
# loopback connections in a network namespace of the test's own, real filesystems.
# shellcheck disable=SC2154 # $status, $output, $stderr are set by bats

load test_helper

FIXTURES="$HC_SRCDIR/tests/fixtures/load"

teardown() {
	# The pipeline runs in a process group of its own: stop all of it.
	if [[ -f $BATS_TEST_TMPDIR/pipeline.pid ]]; then
		kill -TERM -- "-$(<"$BATS_TEST_TMPDIR/pipeline.pid")" 2>/dev/null || true
	fi
	stop_bg_all
	if [[ -n ${NETNS:-} ]]; then
		ip netns del "$NETNS" 2>/dev/null || true
	fi
}

# copy_fixture NAME: a writable copy of a recording in $BATS_TEST_TMPDIR/root
# (under make distcheck the source tree is read-only).
copy_fixture() {
	cp -r "$FIXTURES/$1" "$BATS_TEST_TMPDIR/root"
	chmod -R u+w "$BATS_TEST_TMPDIR/root"
}

# in_netns COMMAND...: runs COMMAND in the test's network namespace.
in_netns() {
	ip netns exec "$NETNS" "$@"
}

# hold_conns IPV4 IPV6: opens that many loopback connections in the test's
# namespace (each is two established sockets) and waits until they are up.
hold_conns() {
	local ready="$BATS_TEST_TMPDIR/conns.ready"
	start_bg conns ip netns exec "$NETNS" "$HC_PYTHON" "$HC_SRCDIR/tests/servers/conn-holder.py" \
		"$ready" "$1" "$2"
	wait_until 20 test -s "$ready"
}

# new_netns: a network namespace with loopback up, deleted in teardown.
new_netns() {
	require_root_netns
	NETNS="hc-load-$$-$BATS_TEST_NUMBER"
	ip netns add "$NETNS"
	ip -n "$NETNS" link set lo up
}

# free_pct DIR: the free space of DIR's filesystem in hundredths of a
# percent, as hc-load computes it (available / (used + available)).
free_pct() {
	stat -f -c '%b %f %a' "$1" | awk '{ used = $1 - $2; printf "%d", $3 * 10000 / (used + $3) + 0.5 }'
}

# pct HUNDREDTHS: "83.25" from 8325, "83.2" from 8320, "83" from 8300, as
# hc-load writes a limit back.
pct() {
	printf '%d.%02d' $(($1 / 100)) $(($1 % 100)) | sed -e 's/0*$//' -e 's/\.$//'
}

@test "hc-load: an idle recording is within every limit and -v says so" {
	run --separate-stderr hc-load -v --root "$FIXTURES/idle" --cpu 95 --load 1.19 --mem 95 \
		--swap 50 --conns 10 --threads 108
	assert_success
	assert_output ""
	[[ $stderr == "hc-load: up in "*" ms: cpu 4.88% <= 95% (over "*" ms), load 1.19 <= 1.19, mem 1.61% <= 95%, swap 0.00% <= 50% (no swap), conns 10 <= 10, threads 108 <= 108" ]]
}

@test "hc-load: silent without -v and --metric" {
	run --separate-stderr hc-load --root "$FIXTURES/idle" --mem 95
	assert_success
	assert_output ""
	[[ -z $stderr ]]
}

@test "hc-load: busy CPU past its limit is down, and -v names it first" {
	run --separate-stderr hc-load -v --root "$FIXTURES/busy" --mem 95 --cpu 99.99
	assert_failure 1
	[[ $stderr == "hc-load: down: cpu 100.00% > 99.99% (over "*" ms); mem 1.62% <= 95% (after "*")" ]]
	run hc-load --root "$FIXTURES/busy" --cpu 100
	assert_success
	run hc-load --root "$FIXTURES/idle" --cpu 4.88
	assert_success
	run hc-load --root "$FIXTURES/idle" --cpu 4.87
	assert_failure 1
}

@test "hc-load: memory and swap in use are compared to the hundredth" {
	run --separate-stderr hc-load -v --root "$FIXTURES/pressure" --mem 95
	assert_failure 1
	[[ $stderr == "hc-load: down: mem 96.00% > 95% (after "*")" ]]
	run hc-load --root "$FIXTURES/pressure" --mem 96
	assert_success
	run hc-load --root "$FIXTURES/pressure" --swap 75
	assert_success
	run --separate-stderr hc-load -v --root "$FIXTURES/pressure" --swap 74.99 --mem 97
	assert_failure 1
	[[ $stderr == "hc-load: down: swap 75.00% > 74.99%; mem 96.00% <= 97% (after "*")" ]]
}

@test "hc-load: the load average limit is absolute or per online CPU" {
	run hc-load --root "$FIXTURES/pressure" --load 9.87
	assert_success
	run --separate-stderr hc-load -v --root "$FIXTURES/pressure" --load 9.86
	assert_failure 1
	[[ $stderr == "hc-load: down: load 9.87 > 9.86 (after "*")" ]]
	# 0-3,8-11 is 8 CPUs: 1.23 x 8 = 9.84, 1.24 x 8 = 9.92.
	run --separate-stderr hc-load -v --root "$FIXTURES/pressure" --load 1.23/cpu
	assert_failure 1
	[[ $stderr == "hc-load: down: load 9.87 > 9.84 (1.23/cpu on 8 CPUs) (after "*")" ]]
	run --separate-stderr hc-load -v --root "$FIXTURES/pressure" --load 1.24/cpu
	assert_success
	[[ $stderr == "hc-load: up in "*" ms: load 9.87 <= 9.92 (1.24/cpu on 8 CPUs)" ]]
}

@test "hc-load: without /sys, the CPUs are counted from /proc/stat" {
	copy_fixture pressure
	rm -r "$BATS_TEST_TMPDIR/root/sys"
	run --separate-stderr hc-load -v --root "$BATS_TEST_TMPDIR/root" --load 5/cpu
	assert_success
	[[ $stderr == "hc-load: up in "*" ms: load 9.87 <= 10 (5/cpu on 2 CPUs)" ]]
}

@test "hc-load: only ESTABLISHED sockets of tcp and tcp6 are connections" {
	# The recording holds 6 + 4 established sockets, a listener on each
	# family, and one socket each in TIME_WAIT, FIN_WAIT2 and CLOSE_WAIT.
	run --separate-stderr hc-load -v --root "$FIXTURES/idle" --conns 10
	assert_success
	[[ $stderr == "hc-load: up in "*" ms: conns 10 <= 10" ]]
	run --separate-stderr hc-load -v --root "$FIXTURES/idle" --conns 9
	assert_failure 1
	[[ $stderr == "hc-load: down: conns 10 > 9 (after "*")" ]]
	# Without tcp6 (IPv6 disabled) only the 6 IPv4 sockets count.
	copy_fixture idle
	rm "$BATS_TEST_TMPDIR/root/proc/net/tcp6"
	run --separate-stderr hc-load -v --root "$BATS_TEST_TMPDIR/root" --conns 6
	assert_success
	[[ $stderr == "hc-load: up in "*" ms: conns 6 <= 6" ]]
}

@test "hc-load: a /proc/net/tcp larger than one read is counted exactly" {
	# 30,000 recorded lines (4.5 MB) cross many 256 KiB reads mid-line.
	copy_fixture idle
	awk 'NR == 1 { print; next } { lines[NR] = $0 } END {
		for (i = 0; i < 3000; i++) for (n = 2; n <= NR; n++) print lines[n] }' \
		"$FIXTURES/idle/proc/net/tcp" >"$BATS_TEST_TMPDIR/root/proc/net/tcp"
	rm "$BATS_TEST_TMPDIR/root/proc/net/tcp6"
	run --separate-stderr hc-load -v --root "$BATS_TEST_TMPDIR/root" --conns 18000
	assert_success
	[[ $stderr == "hc-load: up in "*" ms: conns 18000 <= 18000" ]]
}

@test "hc-load: counting past the deadline is down, without a metric" {
	copy_fixture idle
	awk 'NR == 1 { print; next } { lines[NR] = $0 } END {
		for (i = 0; i < 20000; i++) for (n = 2; n <= NR; n++) print lines[n] }' \
		"$FIXTURES/idle/proc/net/tcp" >"$BATS_TEST_TMPDIR/root/proc/net/tcp"
	run --separate-stderr hc-load -v --root "$BATS_TEST_TMPDIR/root" --timeout 1ms \
		--metric 100 --mem 1 --swap 50 --conns 1000000
	assert_failure 1
	assert_output ""
	[[ $stderr == "hc-load: down: mem 1.61% > 1%, the deadline passed while counting connections; swap 0.00% <= 50% (no swap) (after "*")" ]]
}

@test "hc-load: HC_LOAD_ROOT stands for --root, and --root wins" {
	HC_LOAD_ROOT="$FIXTURES/pressure" run --separate-stderr hc-load -v --mem 95
	assert_failure 1
	[[ $stderr == "hc-load: down: mem 96.00% > 95% (after "*")" ]]
	HC_LOAD_ROOT="$FIXTURES/pressure" run --separate-stderr hc-load -v --root "$FIXTURES/idle" --mem 95
	assert_success
	[[ $stderr == "hc-load: up in "*" ms: mem 1.61% <= 95%" ]]
	HC_LOAD_ROOT=/nonexistent run --separate-stderr hc-load --mem 95
	assert_failure 2
	[[ $stderr == "hc-load: invalid HC_LOAD_ROOT '/nonexistent': No such file or directory" ]]
}

@test "hc-load: --metric adds how close the nearest value is to its limit" {
	# mem 96.00% of a 96% limit is 100; swap 75% of 100% is 75.
	run --separate-stderr hc-load --root "$FIXTURES/pressure" --metric 100 --mem 96 --swap 100
	assert_success
	assert_output "metric=200 mem=96.00 swap=75.00"
	run --separate-stderr hc-load --root "$FIXTURES/pressure" --metric 100 --swap 100 --load 19.74
	assert_success
	assert_output "metric=175 load=9.87 swap=75.00"
	# 10 connections of a limit of 40 are 25; cpu 4.88% of 95% is 5.
	run --separate-stderr hc-load --root "$FIXTURES/idle" --metric 0 --cpu 95 --conns 40
	assert_output "metric=25 cpu=4.88 conns=10"
}

@test "hc-load: --metric stays at BASE + 100 past a limit, and the check is down" {
	run --separate-stderr hc-load -v --root "$FIXTURES/pressure" --metric 4294967195 --mem 50
	assert_failure 1
	assert_output "metric=4294967295 mem=96.00"
	[[ $stderr == "hc-load: down: mem 96.00% > 50%; metric 4294967295 (after "*")" ]]
	run --separate-stderr hc-load --root "$FIXTURES/idle" --metric 7 --conns 0
	assert_failure 1
	assert_output "metric=107 conns=10"
}

@test "hc-load: the --metric line is valid status stream fields" {
	run --separate-stderr hc-load --metric 100 --cpu 100 --load 1000 --mem 100 --swap 100 \
		--conns 1000000 --threads 1000000 --disk /:0 --disk "$BATS_TEST_TMPDIR:0"
	assert_success
	[[ ${#lines[@]} == 1 ]]
	# At most 8 key=value tokens with lowercase keys (hc-stream(7), Fields from checks).
	[[ $output =~ ^metric=[0-9]+\ cpu=[0-9]+\.[0-9]{2}\ load=[0-9]+\.[0-9]{2}\ mem=[0-9]+\.[0-9]{2}\ swap=[0-9]+\.[0-9]{2}\ conns=[0-9]+\ threads=[0-9]+\ disk_free=[0-9]+\.[0-9]{2}$ ]]
	((${#output} <= 256))
}

@test "hc-load: live CPU is measured over the sample window" {
	run --separate-stderr hc-load -v --cpu 100 --sample 300ms
	assert_success
	[[ $stderr =~ ^hc-load:\ up\ in\ [0-9.]+\ m?s:\ cpu\ [0-9]+\.[0-9]{2}%\ \<=\ 100%\ \(over\ 3[0-9]{2}\ ms\)$ ]]
	# Two busy loops make the CPU busy for certain, so a limit of 0 is past.
	start_bg burn1 bash -c 'while :; do :; done'
	start_bg burn2 bash -c 'while :; do :; done'
	run --separate-stderr hc-load -v --cpu 0
	assert_failure 1
	[[ $stderr =~ ^hc-load:\ down:\ cpu\ [0-9]+\.[0-9]{2}%\ \>\ 0% ]]
	[[ $stderr != "hc-load: down: cpu 0.00%"* ]]
}

@test "hc-load: the sample window ends at the deadline" {
	elapsed_ms hc-load --cpu 100 --sample 10s --timeout 300ms
	[[ $status == 0 ]]
	ends_at_deadline 300
}

@test "hc-load: live memory and load agree with /proc" {
	read -r total avail < <(awk '/^MemTotal:/ { t = $2 } /^MemAvailable:/ { a = $2 }
		END { print t, a }' /proc/meminfo)
	want=$(((total - avail) * 100 / total))
	run --separate-stderr hc-load -v --mem 100 --load 100000
	assert_success
	[[ $stderr =~ ^hc-load:\ up\ in\ [0-9.]+\ m?s:\ load\ [0-9]+\.[0-9]{2}\ \<=\ 100000,\ mem\ ([0-9]+)\.[0-9]{2}%\ \<=\ 100%$ ]]
	got=${BASH_REMATCH[1]}
	# Memory moves while the test runs; within 2 points of our own reading.
	((got >= want - 2 && got <= want + 2))
}

@test "hc-load: live free disk space is compared with its minimum" {
	# Other processes write to this disk while the test runs: keep 5 points of margin.
	free=$(free_pct "$BATS_TEST_TMPDIR")
	((free > 500 && free < 9500)) || skip "free space $free is too close to 0% or 100%"
	run --separate-stderr hc-load -v --disk "$BATS_TEST_TMPDIR:$(pct $((free - 500)))"
	assert_success
	[[ $stderr == "hc-load: up in "*" ms: free on $BATS_TEST_TMPDIR "*"% >= $(pct $((free - 500)))%" ]]
	run --separate-stderr hc-load -v --disk "/:0" --disk "$BATS_TEST_TMPDIR:$(pct $((free + 500)))"
	assert_failure 1
	[[ $stderr == "hc-load: down: free on $BATS_TEST_TMPDIR "*"% < $(pct $((free + 500)))%; free on / "*"% >= 0% (after "*")" ]]
}

@test "hc-load: live connections are counted exactly, over netlink and from /proc" {
	new_netns
	hold_conns 120 30
	# 150 connections, each an established socket at both ends.
	run --separate-stderr in_netns hc-load -v --conns 300
	assert_success
	[[ $stderr == "hc-load: up in "*" ms: conns 300 <= 300" ]]
	run --separate-stderr in_netns hc-load -v --conns 299
	assert_failure 1
	[[ $stderr == "hc-load: down: conns 300 > 299 (after "*")" ]]
	run --separate-stderr in_netns hc-load -v --root / --conns 299
	assert_failure 1
	[[ $stderr == "hc-load: down: conns 300 > 299 (after "*")" ]]
	run --separate-stderr in_netns hc-load --metric 10 --conns 600
	assert_success
	assert_output "metric=60 conns=300"
}

@test "hc-load: connections closed are no longer counted" {
	new_netns
	hold_conns 20 0
	run in_netns hc-load --conns 39
	assert_failure 1
	stop_bg_all
	run --separate-stderr in_netns hc-load -v --conns 0
	assert_success
	[[ $stderr == "hc-load: up in "*" ms: conns 0 <= 0" ]]
}

@test "hc-load: a file that does not parse is an internal failure with one line" {
	copy_fixture idle
	root="$BATS_TEST_TMPDIR/root"
	grep -v MemAvailable "$FIXTURES/idle/proc/meminfo" >"$root/proc/meminfo"
	run --separate-stderr hc-load --root "$root" --mem 95
	assert_failure 3
	[[ $stderr == "hc-load: malformed $root/proc/meminfo: no MemAvailable: line (Linux 3.14 or later has it)" ]]
	echo 'garbage' >"$root/proc/loadavg"
	run --separate-stderr hc-load --root "$root" --load 5
	assert_failure 3
	[[ $stderr == "hc-load: malformed $root/proc/loadavg: expected '1.00 1.00 1.00 R/N PID'" ]]
	rm "$root/proc/stat.end"
	run --separate-stderr hc-load --root "$root" --cpu 5 --sample 10ms
	assert_failure 3
	[[ $stderr == "hc-load: no CPU time counted between two readings of $root/proc/stat: record the window's end as proc/stat.end" ]]
	echo 'intr 1 2 3' >"$root/proc/stat"
	run --separate-stderr hc-load --root "$root" --cpu 5
	assert_failure 3
	[[ $stderr == "hc-load: malformed $root/proc/stat: no 'cpu' totals on its first line" ]]
	printf '  sl  local_address\n   0: 0100007F:D9ED\n' >"$root/proc/net/tcp"
	run --separate-stderr hc-load --root "$root" --conns 5
	assert_failure 3
	[[ $stderr == "hc-load: malformed $root/proc/net/tcp: line 2 has no state column" ]]
	rm "$root/proc/net/tcp"
	run --separate-stderr hc-load --root "$root" --conns 5
	assert_failure 3
	[[ $stderr == "hc-load: cannot read $root/proc/net/tcp: No such file or directory" ]]
	echo '0-' >"$root/sys/devices/system/cpu/online"
	run --separate-stderr hc-load --root "$root" --load 1/cpu
	assert_failure 3
	[[ $(wc -l <<<"$stderr") == 1 ]]
}

@test "hc-load: no limit at all is a usage error" {
	run --separate-stderr hc-load
	assert_failure 2
	[[ $stderr == "hc-load: no limit given: use --cpu, --load, --mem, --swap, --conns, --threads or --disk" ]]
	run --separate-stderr hc-load -v --metric 100
	assert_failure 2
	run --separate-stderr hc-load --mem 95 extra
	assert_failure 2
	[[ $stderr == "hc-load: unexpected argument 'extra'"* ]]
}

@test "hc-load: bad percentages are usage errors with one line" {
	for opt in --cpu --mem --swap; do
		for v in 150 100.01 -1 95.555 abc '' 9O 1e2; do
			run --separate-stderr hc-load "$opt" "$v"
			assert_failure 2
			[[ $stderr == "hc-load: invalid $opt '$v': "*" (a percentage from 0 to 100)" ]]
			[[ $(wc -l <<<"$stderr") == 1 ]]
		done
	done
	run --separate-stderr hc-load --cpu 150
	[[ $stderr == "hc-load: invalid --cpu '150': too large (a percentage from 0 to 100)" ]]
}

@test "hc-load: bad --disk values are usage errors with one line" {
	run --separate-stderr hc-load --disk /nope:10
	assert_failure 2
	[[ $stderr == "hc-load: invalid --disk '/nope:10': /nope: No such file or directory" ]]
	run --separate-stderr hc-load --disk /:101
	assert_failure 2
	[[ $stderr == "hc-load: invalid --disk '/:101': free space too large (a percentage from 0 to 100)" ]]
	for v in / :10 /: /proc:10; do
		run --separate-stderr hc-load --disk "$v"
		assert_failure 2
		[[ $stderr == "hc-load: invalid --disk '$v': "* ]]
		[[ $(wc -l <<<"$stderr") == 1 ]]
	done
}

@test "hc-load: bad --load, --conns, --threads, --metric, --sample and --timeout are usage errors" {
	for args in "--load -1" "--load 1/core" "--load 1.234" "--load x" "--load /cpu" \
		"--conns -1" "--conns 1.5" "--conns 2000000000" "--threads x" \
		"--metric -1" "--metric 4294967196" "--mem 9 --sample 5ms" "--mem 9 --sample 2m" \
		"--mem 9 --timeout 0" "--mem 9 --timeout 5x"; do
		read -ra argv <<<"$args"
		run --separate-stderr hc-load "${argv[@]}"
		assert_failure 2
		[[ $stderr == "hc-load: invalid "* ]]
		[[ $(wc -l <<<"$stderr") == 1 ]]
	done
	run --separate-stderr hc-load --load -1
	[[ $stderr == "hc-load: invalid --load '-1': must not be negative" ]]
}

@test "hc-load: a --root that is not a directory is a usage error" {
	run --separate-stderr hc-load --root /nonexistent --mem 95
	assert_failure 2
	[[ $stderr == "hc-load: invalid --root '/nonexistent': No such file or directory" ]]
	run --separate-stderr hc-load --root /etc/hostname --mem 95
	assert_failure 2
	[[ $stderr == "hc-load: invalid --root '/etc/hostname': not a directory" ]]
}

@test "hc-load: moves the MED end to end through hc-loop, hc-dampen and hc-announce" {
	for p in hc-loop hc-dampen hc-announce; do
		[[ -x $HC_BIN/$p ]] || skip "$p is not built yet"
	done
	# The pipeline reads the idle recording, then, once its MED is out,
	# the recording under pressure: mem 1.61% and 96.00% of a limit of 100.
	ln -s "$FIXTURES/idle" "$BATS_TEST_TMPDIR/root"
	export HC_LOAD_ROOT="$BATS_TEST_TMPDIR/root"
	# stdin from /dev/null: hc-loop ends at EOF of a pipe (ExaBGP gone).  It
	# runs until the test stops it, however long each run takes here.
	start_bg pipeline setsid bash -c 'hc-loop -i 100ms -t 20s -- hc-load --metric 100 --mem 100 </dev/null |
		hc-dampen --rise 1 | hc-announce --min-lifetime 0 --med-from metric 203.0.113.10/32'
	out="$BATS_TEST_TMPDIR/pipeline.out"
	wait_until 30 grep -q "med 102" "$out"
	ln -sfn "$FIXTURES/pressure" "$BATS_TEST_TMPDIR/root"
	wait_until 30 grep -q "med 196" "$out"
	run grep '^announce' "$out"
	assert_line --index 0 "announce route 203.0.113.10/32 next-hop self med 102"
	assert_line --index 1 "announce route 203.0.113.10/32 next-hop self med 196"
}

@test "hc-load: --help and --version exit 0" {
	run hc-load --help
	assert_success
	assert_output --partial "--conns"
	run hc-load --version
	assert_success
}
