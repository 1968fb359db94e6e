#!/usr/bin/env bats
# hc-loop running real checks (small shell scripts) at intervals of tens of ms.
# shellcheck disable=SC2154 # $status, $output, $stderr, $lines are set by bats and helpers

load test_helper
load lib-stall

LINE_RE='^(up|down) rc=([0-9]+|sig[0-9]+|timeout|exec) ms=[0-9]+\.[0-9]{2} t=[0-9]+\.[0-9]{3}( [a-z][a-z0-9_]*=[!-~]+)*$'

setup() {
	T=$BATS_TEST_TMPDIR
}

teardown() {
	stop_bg_all
}

# start_loop STDIN ARGS...: starts hc-loop ARGS with stdin from STDIN (and
# fd 4 closed, so that it does not hold the ack pipe itself), output in
# $T/loop.out and $T/loop.err; sets $loop_pid.
start_loop() {
	local in=$1
	shift
	HC_BG_STDIN=$in start_bg loop hc-loop "$@" 4>&-
	loop_pid=$(<"$T/loop.pid")
}

# open_ack_pipe: a FIFO $T/acks that this shell holds open for writing on fd 4,
# like ExaBGP holding the pipe to its process's stdin.
open_ack_pipe() {
	mkfifo "$T/acks"
	exec 4<>"$T/acks"
}

line_count() {
	[[ -f $T/loop.out ]] && wc -l <"$T/loop.out" || echo 0
}

has_lines() {
	(($(line_count) >= $1))
}

alive() {
	kill -0 "$1" 2>/dev/null
}

# gone PID: no such process, not even a zombie.
gone() {
	[[ ! -e /proc/$1 ]]
}

# loop_exited: hc-loop ended; sets $loop_status.
loop_exited() {
	alive "$loop_pid" && return 1
	wait "$loop_pid" && loop_status=0 || loop_status=$?
}

# gaps_ms FILE: the time between the starts (t= minus ms=) of consecutive
# runs, in ms, one a line.
gaps_ms() {
	awk '{ for (i = 2; i <= NF; i++) {
	           if ($i ~ /^t=/) t = substr($i, 3) * 1000
	           if ($i ~ /^ms=/) ms = substr($i, 4)
	       }
	       if (NR > 1) printf "%d\n", t - ms - prev; prev = t - ms }' "$1"
}

# run_times FILE: each run's start and end (t= minus ms=, and t=) in ms, one
# run a line.
run_times() {
	awk '{ for (i = 2; i <= NF; i++) {
	           if ($i ~ /^t=/) t = substr($i, 3) * 1000
	           if ($i ~ /^ms=/) ms = substr($i, 4)
	       }
	       printf "%.3f %.3f\n", t - ms, t }' "$1"
}

# idles_ms FILE: the time from the end of each run to the start of the next,
# in ms, one a line: what hc-loop waited, whatever the runs took.
idles_ms() {
	awk '{ for (i = 2; i <= NF; i++) {
	           if ($i ~ /^t=/) t = substr($i, 3) * 1000
	           if ($i ~ /^ms=/) ms = substr($i, 4)
	       }
	       if (NR > 1) printf "%d\n", t - ms - prev; prev = t }' "$1"
}

@test "hc-loop: one line per run with rc, ms and t" {
	run --separate-stderr hc-loop -n 3 -i 20ms -t 20s -- true </dev/null
	assert_success
	[[ ${#lines[@]} == 3 ]]
	for l in "${lines[@]}"; do
		[[ $l =~ $LINE_RE ]]
		[[ $l == "up rc=0 ms="* ]]
	done
	[[ -z $stderr ]]
}

@test "hc-loop: a failing check is down with its exit status, and -n exits 1 after a down run" {
	run --separate-stderr hc-loop -n 2 -i 10ms -t 20s -- sh -c 'exit 3' </dev/null
	assert_failure 1
	[[ ${lines[0]} == "down rc=3 ms="* && ${lines[1]} == "down rc=3 ms="* ]]
}

@test "hc-loop: a check killed by a signal is down with rc=sigN" {
	run --separate-stderr hc-loop -n 1 -- sh -c 'kill -KILL $$' </dev/null
	assert_failure 1
	[[ $output == "down rc=sig9 ms="* ]]
}

@test "hc-loop: a command that cannot be run is rc=exec, said once, and the loop goes on" {
	run --separate-stderr hc-loop -n 3 -i 10ms -t 20s -- "$T/no-such-check" </dev/null
	assert_failure 1
	[[ ${#lines[@]} == 3 ]]
	for l in "${lines[@]}"; do [[ $l == "down rc=exec ms="* ]]; done
	[[ $stderr == "hc-loop: cannot run '$T/no-such-check': No such file or directory" ]]
	touch "$T/not-executable"
	run --separate-stderr hc-loop -n 1 -- "$T/not-executable" </dev/null
	[[ $output == "down rc=exec "* && $stderr == *"Permission denied" ]]
	# No shell behind our back: a script without its #! line is not run by sh.
	printf 'touch "%s/ran"\n' "$T" >"$T/no-shebang"
	chmod +x "$T/no-shebang"
	run --separate-stderr hc-loop -n 1 -- "$T/no-shebang" </dev/null
	[[ $output == "down rc=exec "* && $stderr == *"Exec format error" ]]
	[[ ! -e $T/ran ]]
	# A bare name is looked up in PATH.
	run --separate-stderr hc-loop -n 1 -- true </dev/null
	assert_success
	[[ $output == "up rc=0 "* ]]
}

@test "hc-loop: options after COMMAND belong to the check" {
	run --separate-stderr hc-loop -n 1 sh -c 'echo "arg=$1"' sh -v </dev/null
	assert_success
	[[ $output == "up rc=0 "*" arg=-v" ]]
	[[ -z $stderr ]]
}

@test "hc-loop: a check past its timeout is killed, reaped and down with rc=timeout" {
	mkcheck slow <<-EOF
		echo \$\$ >"$T/slow.pid"
		exec sleep 30
	EOF
	# 1 s, time enough for the check to write its PID on a busy machine.
	elapsed_ms hc-loop -n 1 -t 1s -- "$T/slow" </dev/null >"$T/out"
	[[ $status == 1 ]]
	ends_at_deadline 1000
	run cat "$T/out"
	[[ $output =~ ^down\ rc=timeout\ ms=([0-9]+)\. ]]
	((BASH_REMATCH[1] >= 1000))
	gone "$(<"$T/slow.pid")"
}

@test "hc-loop: a check ignoring SIGTERM is killed with SIGKILL after the grace" {
	mkcheck stubborn <<-EOF
		trap '' TERM
		echo \$\$ >"$T/stubborn.pid"
		sleep 30
		echo survived >"$T/survived"
	EOF
	# The timeout leaves the check time to set its trap on a busy machine.
	elapsed_ms hc-loop -n 1 -t 1s --grace 300ms -- "$T/stubborn" </dev/null >"$T/out"
	[[ $status == 1 ]]
	# SIGTERM at the timeout, SIGKILL a grace later: 1.3 s at least, and the
	# 30 s of sleep are not waited for.
	ends_at_deadline 1300
	run cat "$T/out"
	[[ $output =~ ^down\ rc=timeout\ ms=([0-9]+)\. ]]
	((BASH_REMATCH[1] >= 1300))
	gone "$(<"$T/stubborn.pid")"
	[[ ! -e $T/survived ]]
}

@test "hc-loop: a grandchild holding stdout does not stall the loop and is gone afterwards" {
	mkcheck leaky <<-EOF
		sleep 30 &
		echo \$! >>"$T/grandchildren"
		echo k=v
	EOF
	# A loop stalled by the grandchild's copy of stdout would end each run at
	# the timeout, rc=timeout, not up.
	run hc-loop -n 3 -i 20ms -t 20s -- "$T/leaky" </dev/null
	assert_success
	[[ $(grep -c '^up rc=0 .* k=v$' <<<"$output") == 3 ]]
	while read -r pid; do gone "$pid"; done <"$T/grandchildren"
}

@test "hc-loop: a grandchild ignoring SIGTERM is killed after the grace" {
	# The check waits until its grandchild ignores SIGTERM, then leaves it behind.
	mkcheck stubborn-leaky <<-EOF
		rm -f "$T/gc.pid"
		sh -c 'trap "" TERM; echo \$\$ >"$T/gc.tmp"; mv "$T/gc.tmp" "$T/gc.pid"; exec sleep 30' &
		while [ ! -s "$T/gc.pid" ]; do sleep 0.01; done
		cat "$T/gc.pid" >>"$T/grandchildren"
		echo k=v
	EOF
	elapsed_ms hc-loop -n 2 -i 20ms -t 20s --grace 200ms -- "$T/stubborn-leaky" </dev/null >"$T/out"
	[[ $status == 0 ]]
	# A grace per run, and not the grandchildren's 30 s of sleep.
	ends_at_deadline 400
	[[ $(grep -c '^up rc=0 .* k=v$' "$T/out") == 2 ]]
	[[ $(wc -l <"$T/grandchildren") == 2 ]]
	while read -r pid; do gone "$pid"; done <"$T/grandchildren"
}

@test "hc-loop: checks get /dev/null as stdin, their own process group and default signals" {
	mkcheck probe <<-'EOF'
		if read -r l; then echo "stdin=read"; else echo "stdin=eof"; fi
		pgid=$(ps -o pgid= -p $$ | tr -d ' ')
		ign=$(sed -n 's/^SigIgn:[[:space:]]*//p' /proc/$$/status)
		blk=$(sed -n 's/^SigBlk:[[:space:]]*//p' /proc/$$/status)
		[ "$pgid" = $$ ] && echo "own_group=yes pid=$$ ign=$ign blk=$blk" >&2
	EOF
	open_ack_pipe
	printf 'done\ndone\n' >&4
	start_loop "$T/acks" -n 1 -- "$T/probe"
	wait_until 20 loop_exited
	[[ $loop_status == 0 ]]
	run cat "$T/loop.out"
	[[ $output == "up rc=0 "*" stdin=eof" ]]
	run cat "$T/loop.err"
	[[ $output == "own_group=yes "* ]]
	[[ $output == *" blk=0000000000000000" ]]
	ign=${output##*ign=}
	ign=${ign%% *}
	# Started in the background by bats, hc-loop inherits SIGINT and SIGQUIT
	# ignored, and ignores SIGPIPE itself: the check ignores nothing, but for
	# signals 32 and 33 (bits 31-32), which glibc keeps for itself.
	(((0x$ign & ~0x180000000) == 0))
}

@test "hc-loop: the period does not drift over 40 runs" {
	run --separate-stderr hc-loop -n 40 -i 60ms -t 20s -- sleep 0.03 </dev/null
	assert_success
	[[ ${#lines[@]} == 40 ]]
	# Rebuild the schedule hc-loop keeps: each start is due one period after
	# the one before was due, or at the end of the run before if that ended
	# later.  A run's lateness is how long after it was due it started: a
	# late wake-up on a busy machine, now and then.  A schedule that counted
	# each period from the end of a run would make every run at least one run
	# (30 ms) late, so the median lateness tells the two apart.
	read -r median latest < <(run_times <(echo "$output") | awk '
		NR == 1 { due = $1 }
		NR > 1 { due += 60; if (prev_end > due) due = prev_end }
		{ print $1 - due; prev_end = $2 }' | sort -n | awk '
		{ v[NR] = $1 } END { printf "%d %d\n", v[int((NR + 1) / 2)], v[NR] }')
	echo "lateness of the starts: median $median ms, largest $latest ms" >&3
	((median < 30))
}

@test "hc-loop: runs never overlap; an overrun is followed at once by the next run" {
	mkcheck long <<-EOF
		if [ -e "$T/running" ]; then echo overlap=yes; fi
		touch "$T/running"
		sleep 0.1
		rm -f "$T/running"
	EOF
	run --separate-stderr hc-loop -n 3 -i 50ms -t 20s -- "$T/long" </dev/null
	assert_success
	[[ $output != *overlap* ]]
	# Each run starts after the one before ended, and does not wait a period
	# more; a late wake-up on a busy machine is far shorter than 10 periods.
	while read -r idle; do ((idle >= 0 && idle < 500)); done < <(idles_ms <(echo "$output"))
}

@test "hc-loop: the fast interval runs until --fast-runs runs agree, from the start and after a change" {
	# Up for runs 1-4, down from run 5 on.
	mkcheck flip <<-EOF
		n=\$(cat "$T/n" 2>/dev/null || echo 0); n=\$((n + 1)); echo \$n >"$T/n"
		[ \$n -le 4 ]
	EOF
	run --separate-stderr hc-loop -n 7 -i 800ms --fast-interval 20ms --fast-runs 2 -t 20s -- "$T/flip" </dev/null
	assert_failure 1
	mapfile -t gaps < <(gaps_ms <(echo "$output"))
	mapfile -t idles < <(idles_ms <(echo "$output"))
	echo "gaps ${gaps[*]}, idle ${idles[*]}" >&3
	# After run 1 (streak 1): fast; runs 2-4 agree: slow; run 5 changed: fast;
	# then slow.  A slow period is 800 ms from start to start; after a fast
	# one the next run starts 20 ms after the last.  Half the slow period
	# tells them apart, whatever a busy machine adds to a wake-up.
	((idles[0] < 400 && gaps[1] >= 400 && gaps[2] >= 400 && gaps[3] >= 400))
	((idles[4] < 400 && gaps[5] >= 400))
}

@test "hc-loop: --down-interval is the period while down" {
	# Half the period tells the two intervals apart on a busy machine.
	run --separate-stderr hc-loop -n 3 -i 800ms --down-interval 20ms -t 20s -- false </dev/null
	mapfile -t idles < <(idles_ms <(echo "$output"))
	((idles[0] < 400 && idles[1] < 400))
	run --separate-stderr hc-loop -n 2 -i 800ms --down-interval 20ms -t 20s -- true </dev/null
	mapfile -t gaps < <(gaps_ms <(echo "$output"))
	((gaps[0] >= 400))
}

@test "hc-loop: --jitter spreads each period within its bounds" {
	run --separate-stderr hc-loop -n 8 -i 400ms -t 20s --jitter 50% -- true </dev/null
	assert_success
	mapfile -t gaps < <(gaps_ms <(echo "$output"))
	echo "gaps ${gaps[*]}" >&3
	min=1000000 max=0
	# Each period is drawn from 200-600 ms.  A start that wakes late shortens
	# the next gap by as much, so the bounds allow 100 ms for that below and
	# the slack above.
	for g in "${gaps[@]}"; do
		((g >= 100 && g <= 600 + HC_TEST_SLACK_MS))
		((g < min)) && min=$g
		((g > max)) && max=$g
	done
	# 7 draws within 50 ms of each other out of 400: about 1 in 40,000.
	((max - min >= 50))
}

@test "hc-loop: --splay delays the first run by a random time up to DURATION" {
	longest=0
	for _ in 1 2 3 4 5; do
		elapsed_ms hc-loop -n 1 --splay 300ms -- true </dev/null >/dev/null
		((elapsed < 300 + HC_TEST_SLACK_MS))
		((elapsed > longest)) && longest=$elapsed
	done
	# Five draws all under 30 ms happen once in 100,000.
	((longest >= 30))
}

@test "hc-loop: --plugin maps monitoring-plugins exit codes; --warning-up counts WARNING as up" {
	for code in 0 1 2 3 4; do
		run hc-loop -n 1 --plugin -- sh -c "exit $code" </dev/null
		want=down
		((code == 0)) && want=up
		[[ $output == "$want rc=$code "* ]]
		run hc-loop -n 1 --warning-up -- sh -c "exit $code" </dev/null
		((code <= 1)) && want=up
		[[ $output == "$want rc=$code "* ]]
	done
	run hc-loop -n 1 --plugin -t 50ms -- sleep 5 </dev/null
	[[ $output == "down rc=timeout "* ]]
}

@test "hc-loop: key=value tokens on the check's first line are forwarded after hc-loop's fields" {
	run --separate-stderr hc-loop -n 1 -- sh -c 'echo "metric=140 cpu=37.5"; echo "second=line"' </dev/null
	assert_success
	[[ $output =~ ^up\ rc=0\ ms=[0-9.]+\ t=[0-9.]+\ metric=140\ cpu=37\.5$ ]]
}

@test "hc-loop: a check's fields are sanitised: reserved, invalid and repeated tokens are dropped" {
	mkcheck noisy <<-'EOF'
		printf 'OK rc=5 ms=1 t=2 raw=up why=x dropped=3 Bad=1 k= =v metric=1 metric=2 \303\251=1 a=b\r\n'
	EOF
	run --separate-stderr hc-loop -n 1 -- "$T/noisy" </dev/null
	assert_success
	[[ $output =~ ^up\ rc=0\ ms=[0-9.]+\ t=[0-9.]+\ dropped=12\ metric=1\ a=b$ ]]
	[[ $output =~ $LINE_RE ]]
}

@test "hc-loop: a check passes at most 8 fields and 256 bytes" {
	run hc-loop -n 1 -- sh -c 'echo a1=1 a2=2 a3=3 a4=4 a5=5 a6=6 a7=7 a8=8 a9=9 a10=10' </dev/null
	[[ $output == *" dropped=2 a1=1 a2=2 a3=3 a4=4 a5=5 a6=6 a7=7 a8=8" ]]
	v=$(printf 'x%.0s' {1..100})
	run hc-loop -n 1 -- sh -c "printf 'k1=$v\tk2=$v k3=$v k4=1\n'" </dev/null
	# " k1=" + 100 twice is 208 bytes; k3 would pass 256; k4 still fits.
	[[ $output == *" dropped=1 k1=$v k2=$v k4=1" ]]
	long=$(printf 'y%.0s' {1..256})
	run hc-loop -n 1 -- sh -c "echo big=$long ok=1" </dev/null
	[[ $output == *" dropped=1 ok=1" ]]
}

@test "hc-loop: a token cut by the 1024-byte limit or by a kill is not forwarded" {
	junk=$(printf 'x%.0s' {1..1000})
	v=$(printf 'v%.0s' {1..100})
	run hc-loop -n 1 -- sh -c "echo $junk a=1 k=$v" </dev/null
	[[ $output == "up rc=0 "*" dropped=2 a=1" ]]
	run hc-loop -n 1 -t 1s -- sh -c 'printf "a=1 b=2"; exec sleep 5' </dev/null
	[[ $output == "down rc=timeout "*" dropped=1 a=1" ]]
	run hc-loop -n 1 -- sh -c 'printf "a=1 b=2"' </dev/null
	[[ $output == "up rc=0 "*" a=1 b=2" ]]
}

@test "hc-loop: output past the first line is read and discarded without blocking the check" {
	mkcheck chatty <<-'EOF'
		echo first=1
		head -c 4000000 /dev/zero
	EOF
	# A check blocked on a full pipe would end at the timeout, rc=timeout.
	run hc-loop -n 2 -i 10ms -t 20s -- "$T/chatty" </dev/null
	assert_success
	[[ $(grep -c '^up rc=0 .* first=1$' <<<"$output") == 2 ]]
}

@test "hc-loop: -v logs each run on stderr" {
	run --separate-stderr hc-loop -v -n 2 -i 10ms -t 20s -- true </dev/null
	assert_success
	[[ ${stderr_lines[0]} =~ ^hc-loop:\ [0-9T:.-]+Z\ run\ 1:\ up\ rc=0\  ]]
	[[ ${stderr_lines[1]} == *" run 2: up rc=0 "* ]]
}

@test "hc-loop: 100,000 acks on stdin are drained while it runs" {
	open_ack_pipe
	start_loop "$T/acks" -i 20ms -t 20s -- true
	wait_until 20 has_lines 1
	# 500 kB: a writer blocks for good once 64 kB sit unread in the pipe.
	run timeout 40 bash -c 'yes done | head -n 100000 >&4'
	assert_success
	n=$(line_count)
	wait_until 20 has_lines $((n + 3))
	alive "$loop_pid"
	[[ ! -s $T/loop.err ]]
}

@test "hc-loop: an error ack is reported on stderr, and a flood of them only once" {
	open_ack_pipe
	start_loop "$T/acks" -i 20ms -t 20s -- true
	for _ in {1..1000}; do echo error; done >&4
	wait_until 20 grep -q "answered 'error'" "$T/loop.err"
	wait_until 20 has_lines 3
	[[ $(wc -l <"$T/loop.err") == 1 ]]
	# ExaBGP goes away: the errors not yet reported are counted on the way out.
	exec 4>&-
	wait_until 20 loop_exited
	[[ $loop_status == 0 ]]
	run cat "$T/loop.err"
	[[ ${lines[0]} =~ ^hc-loop:\ [0-9T:.-]+Z\ ExaBGP\ answered\ \'error\'\ to\ a\ command ]]
	[[ ${lines[1]} == *"ExaBGP answered 'error' to 999 more commands" ]]
	[[ ${#lines[@]} == 2 ]]
}

@test "hc-loop: EOF on a pipe stdin ends it with status 0 and kills the running check" {
	mkcheck hang <<-EOF
		echo \$\$ >"$T/hang.pid"
		exec sleep 30
	EOF
	open_ack_pipe
	start_loop "$T/acks" -t 60s -- "$T/hang"
	wait_until 20 test -s "$T/hang.pid"
	exec 4>&-
	wait_until 20 loop_exited
	[[ $loop_status == 0 ]]
	wait_until 20 gone "$(<"$T/hang.pid")"
	[[ ! -s $T/loop.out ]]
}

@test "hc-loop: EOF on /dev/null or a regular file stdin does not end it" {
	run hc-loop -n 3 -i 10ms -t 20s -- true </dev/null
	assert_success
	[[ ${#lines[@]} == 3 ]]
	printf 'done\nerror\n' >"$T/acks.txt"
	run --separate-stderr hc-loop -n 3 -i 10ms -t 20s -- true <"$T/acks.txt"
	assert_success
	[[ ${#lines[@]} == 3 ]]
	[[ $stderr == *"answered 'error'"* ]]
}

@test "hc-loop: a shutdown line from ExaBGP ends it with status 0" {
	open_ack_pipe
	start_loop "$T/acks" -i 20ms -t 20s -- true
	wait_until 20 has_lines 1
	# As ExaBGP 4.2.21 and 5.0.13 write it (e2e-exabgp-versions.bats records it from each).
	printf 'shutdown 22851 22839\n\n' >&4
	wait_until 20 loop_exited
	[[ $loop_status == 0 ]]
}

# signal_ends_loop SIG: SIG ends hc-loop at once, with status 0, while its
# check and the check's grandchild run; neither survives, no zombie stays.
signal_ends_loop() {
	mkcheck family <<-EOF
		echo \$\$ >"$T/check.pid"
		sleep 30 &
		echo \$! >"$T/grandchild.pid"
		wait
	EOF
	start_loop /dev/null -t 60s -- "$T/family"
	wait_until 20 test -s "$T/grandchild.pid"
	kill "-$1" "$loop_pid"
	# Promptly: not after the check's 30 s, nor at its 60 s timeout.
	elapsed_ms wait_until 20 loop_exited
	ends_before 30000
	[[ $loop_status == 0 ]]
	gone "$(<"$T/check.pid")"
	gone "$(<"$T/grandchild.pid")"
	# The killed run is not reported as down.
	[[ ! -s $T/loop.out ]]
}

@test "hc-loop: SIGTERM ends it promptly, check group killed, no zombie" {
	signal_ends_loop TERM
}

@test "hc-loop: SIGINT ends it promptly, check group killed, no zombie" {
	signal_ends_loop INT
}

@test "hc-loop: a second SIGTERM kills a check that ignores the first at once" {
	mkcheck deaf <<-EOF
		trap '' TERM
		echo \$\$ >"$T/deaf.pid"
		sleep 30
	EOF
	start_loop /dev/null -v -t 60s --grace 30s -- "$T/deaf"
	wait_until 20 test -s "$T/deaf.pid"
	kill -TERM "$loop_pid"
	wait_until 20 grep -q 'SIGTERM received' "$T/loop.err"
	alive "$loop_pid"
	kill -TERM "$loop_pid"
	wait_until 20 loop_exited
	[[ $loop_status == 0 ]]
	gone "$(<"$T/deaf.pid")"
}

@test "hc-loop: SIGTERM ends it while its reader never reads, exit 0" {
	# Each run writes some 800 bytes: the check's three fields of 250 bytes.
	local v
	v=$(printf 'x%.0s' {1..250})
	start_stalled loop hc-loop -i 1ms -t 10s -- printf "a=$v b=$v c=$v\n"
	term_when_stalled "$T/loop.fifo"
	((status == 0))
	[[ ! -s $T/loop.err ]]
}

@test "hc-loop: SIGHUP does not end it" {
	start_loop /dev/null -i 20ms -t 20s -- true
	wait_until 20 has_lines 1
	kill -HUP "$loop_pid"
	n=$(line_count)
	wait_until 20 has_lines $((n + 3))
	alive "$loop_pid"
}

@test "hc-loop: EPIPE on stdout ends it quietly" {
	run --separate-stderr timeout 30 bash -c \
		'hc-loop -i 10ms -t 20s -- true </dev/null | head -n 2; echo "${PIPESTATUS[0]}" >"$1"' _ "$T/status"
	assert_success
	[[ ${#lines[@]} == 2 ]]
	[[ -z $stderr ]]
	[[ $(<"$T/status") == 0 ]]
}

@test "hc-loop: bad option values are usage errors with one line" {
	while read -r opt value what; do
		run --separate-stderr hc-loop "$opt" "$value" -- true
		assert_failure 2
		[[ $stderr == "hc-loop: invalid $what '$value': "* ]]
		[[ $(wc -l <<<"$stderr") == 1 ]]
	done <<-'EOF'
		-i 0 --interval
		-i 2x --interval
		--interval -1s --interval
		--fast-interval 0.1ns --fast-interval
		--down-interval 25h --down-interval
		--fast-runs 0 --fast-runs
		-t 0 --timeout
		-t 5x --timeout
		--grace 1y --grace
		--splay ms --splay
		-n 0 --count
		-n 1.5 --count
		--jitter 51 --jitter
		--jitter -1 --jitter
		--jitter 10%% --jitter
	EOF
}

@test "hc-loop: a missing COMMAND and an unknown option are usage errors" {
	run --separate-stderr hc-loop -i 1s
	assert_failure 2
	[[ $stderr == "hc-loop: missing COMMAND (usage: hc-loop [options] -- COMMAND [ARG...])" ]]
	run --separate-stderr hc-loop -- ''
	assert_failure 2
	run --separate-stderr hc-loop --no-such-option -- true
	assert_failure 2
	[[ $stderr == "hc-loop: unrecognized option '--no-such-option'"* ]]
}
