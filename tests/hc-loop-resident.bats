#!/usr/bin/env bats
# hc-loop --resident: one check process asked for each run (hc-resident(7)),
# with real checks and small scripts that speak, break or ignore the protocol.
# shellcheck disable=SC2154 # $status, $output, $stderr, $lines are set by bats

load test_helper

LINE_RE='^(up|down) rc=([0-9]+|sig[0-9]+|timeout|exec|protocol) ms=[0-9]+\.[0-9]{2} t=[0-9]+\.[0-9]{3}( [a-z][a-z0-9_]*=[!-~]+)*$'

setup() {
	T=$BATS_TEST_TMPDIR
}

teardown() {
	exec 4>&- 2>/dev/null || true
	stop_bg_all
}

# starts: how many times the check scripts below were started.
starts() {
	[[ -f $T/starts ]] && wc -l <"$T/starts" || echo 0
}

# rcs: the rc= fields of the lines in $output, space-separated.
rcs() {
	sed -n 's/^[a-z]* rc=\([^ ]*\) .*/\1/p' <<<"$output" | tr '\n' ' '
}

# has_lines FILE N: FILE has at least N lines.
has_lines() {
	[[ -f $1 ]] && (($(wc -l <"$1") >= $2))
}

# most_fds PID: the most fds PID had over 20 looks (a start in flight holds
# the pipes of the check being started as well as those of the last one).
most_fds() {
	local i n most=0
	for ((i = 0; i < 20; i++)); do
		n=$(find "/proc/$1/fd" -mindepth 1 | wc -l)
		((n <= most)) || most=$n
	done
	echo "$most"
}

# plan_check WORD...: a script $T/plan whose Nth request (counted across its
# starts) does what the Nth WORD says: answer it ("0", "1 key=value"),
# "crash" (SIGSEGV), "exit:N", "garbage", or "hang" (sleeps, with a child in
# its process group).
plan_check() {
	echo "$*" >"$T/plan.words"
	mkcheck plan <<-EOF
		T='$T'
	EOF
	cat >>"$T/plan" <<-'EOF'
		echo "$$" >>"$T/starts"
		while read -r request; do
			echo x >>"$T/requests"
			n=$(wc -l <"$T/requests")
			what=$(cut -d ' ' -f "$n" "$T/plan.words")
			case $what in
			crash) kill -SEGV $$ ;;
			exit:*) exit "${what#exit:}" ;;
			garbage) echo "hello" ;;
			hang) sleep 1000 & echo "$!" >"$T/hung"; wait ;;
			*) echo "$what" ;;
			esac
		done
	EOF
}

@test "hc-loop --resident: the script in hc-resident(7) is the one the suite runs" {
	script=$HC_SRCDIR/tests/fixtures/resident/ready-file
	run awk '/^\.Bd -literal/ { inside = 1; next } /^\.Ed/ { inside = 0 } inside && /^#!/ { take = 1 }
		inside && take { print } /^\.Ed/ && take { exit }' "$HC_SRCDIR/man/hc-resident.7"
	assert_success
	# mdoc writes a backslash as \e.
	diff <(sed 's/\\e/\\/g' <<<"$output") "$script"
}

@test "hc-loop --resident: a shell script speaks the protocol: one start, one answer per run" {
	touch "$T/ready"
	mkcheck wrapper <<-EOF
		echo "\$\$" >>"$T/starts"
		exec "$HC_SRCDIR/tests/fixtures/resident/ready-file" "$T/ready"
	EOF
	start_bg loop hc-loop --resident -i 50ms -t 5s -- "$T/wrapper" </dev/null
	wait_until 20 grep -q '^up rc=0 ' "$T/loop.out"
	rm "$T/ready"
	wait_until 20 grep -q '^down rc=1 ' "$T/loop.out"
	touch "$T/ready"
	wait_until 20 bash -c "tail -n 1 '$T/loop.out' | grep -q '^up rc=0 '"
	[[ $(starts) == 1 ]]
	run cat "$T/loop.out"
	for line in "${lines[@]}"; do [[ $line =~ $LINE_RE ]]; done
	# By hand, the same script is a check that exits 0 or 1.
	run "$HC_SRCDIR/tests/fixtures/resident/ready-file" "$T/ready"
	assert_success
	run "$HC_SRCDIR/tests/fixtures/resident/ready-file" "$T/nothing"
	assert_failure 1
}

@test "hc-loop --resident: a crash or an exit is a down run with its signal or status, then a new start" {
	plan_check 0 crash 0 exit:3 0
	run --separate-stderr hc-loop --resident -n 5 -i 20ms -t 10s -- "$T/plan" </dev/null
	assert_success
	[[ $(rcs) == "0 sig11 0 3 0 " ]]
	[[ $(starts) == 3 ]]
	# Said once for each of the two episodes.
	[[ $(grep -c "resident check '$T/plan'" <<<"$stderr") == 2 ]]
	[[ $stderr == *"was killed by signal 11; it starts again at the next run"* ]]
	[[ $stderr == *"exited with status 3; it starts again at the next run"* ]]
}

@test "hc-loop --resident: a run past its deadline is rc=timeout, its whole group is killed, and it starts again" {
	plan_check 0 hang 0
	run --separate-stderr hc-loop --resident -n 3 -i 20ms -t 1s --grace 200ms -- "$T/plan" </dev/null
	assert_success
	[[ $(rcs) == "0 timeout 0 " ]]
	[[ $(starts) == 2 ]]
	wait_until 10 bash -c "[[ ! -e /proc/$(<"$T/hung") ]]"
	[[ $stderr == *"did not answer before the deadline; it starts again at the next run"* ]]
}

@test "hc-loop --resident: an answer that is not one is rc=protocol, and the check starts again" {
	plan_check garbage 0 1 0
	run --separate-stderr hc-loop --resident -n 4 -i 20ms -t 10s -- "$T/plan" </dev/null
	assert_success
	[[ $(rcs) == "protocol 0 1 0 " ]]
	[[ ${lines[0]} == "down rc=protocol "* && ${lines[1]} == "up rc=0 "* && ${lines[2]} == "down rc=1 "* ]]
	[[ $(starts) == 2 ]]
	[[ $stderr == *"resident check '$T/plan' answered 'hello', not an answer (does it speak hc-resident(7)?)"* ]]
}

@test "hc-loop --resident: an answer passes its fields down, as a check's first line does" {
	mkcheck fields <<-'EOF'
		read -r request
		echo "0 metric=140 rc=9 Bad=1"
		read -r request
		echo "2 code=7"
		read -r request
	EOF
	run hc-loop --resident -n 2 -i 20ms -t 10s -- "$T/fields" </dev/null
	assert_failure 1
	[[ ${lines[0]} =~ ^up\ rc=0\ ms=[0-9.]+\ t=[0-9.]+\ dropped=2\ metric=140$ ]]
	[[ ${lines[1]} =~ ^down\ rc=2\ ms=[0-9.]+\ t=[0-9.]+\ code=7$ ]]
}

@test "hc-loop --resident: a check that dies at once is started once per run, and said once" {
	mkcheck dies <<-EOF
		echo "\$\$" >>"$T/starts"
		exit 1
	EOF
	run --separate-stderr hc-loop --resident -n 5 -i 100ms -t 5s -- "$T/dies" </dev/null
	assert_failure 1
	[[ $(rcs) == "1 1 1 1 1 " ]]
	[[ $(starts) == 5 ]]
	[[ $(grep -c "resident check" <<<"$stderr") == 1 ]]
	[[ $stderr == *"exited with status 1 (does it speak hc-resident(7)?); it starts again at the next run"* ]]
}

@test "hc-loop --resident: a command that does not speak the protocol is down within the deadline, with a clear error" {
	# sleep never answers; cat answers with the request itself; true exits.
	run --separate-stderr timeout 20 hc-loop --resident -n 1 -t 500ms -- sleep 1000 </dev/null
	assert_failure 1
	[[ $output == "down rc=timeout "* ]]
	[[ $stderr == "hc-loop: resident check 'sleep' did not answer before the deadline (does it speak hc-resident(7)?); it starts again at the next run" ]]
	run --separate-stderr timeout 20 hc-loop --resident -n 1 -t 5s -- cat </dev/null
	assert_failure 1
	[[ $output == "down rc=protocol "* ]]
	[[ $stderr == *"'cat' answered 'check', not an answer (does it speak hc-resident(7)?)"* ]]
	run --separate-stderr timeout 20 hc-loop --resident -n 1 -t 5s -- true </dev/null
	assert_failure 1
	[[ $output == "down rc=0 "* ]]
	[[ $stderr == *"'true' exited with status 0 (does it speak hc-resident(7)?)"* ]]
}

@test "hc-loop --resident: SIGTERM ends hc-loop and its check, with nothing left" {
	plan_check 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
	start_bg loop hc-loop --resident -i 50ms -t 10s -- "$T/plan" </dev/null
	wait_until 20 has_lines "$T/loop.out" 2
	check_pid=$(head -n 1 "$T/starts")
	kill -TERM "$(<"$T/loop.pid")"
	wait_until 10 bash -c "[[ ! -e /proc/$(<"$T/loop.pid") ]]"
	wait_until 10 bash -c "[[ ! -e /proc/$check_pid ]]"
	[[ $(starts) == 1 ]]
	[[ ! -s $T/loop.err ]]
}

@test "hc-loop --resident: the end of ExaBGP's pipe ends hc-loop and its check" {
	plan_check 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
	mkfifo "$T/acks"
	exec 4<>"$T/acks"
	hc-loop --resident -i 50ms -t 10s -- "$T/plan" <"$T/acks" 3>&- 4>&- >"$T/loop.out" 2>"$T/loop.err" &
	echo "$!" >"$T/loop.pid"
	HC_BG_PIDS+=("$!")
	wait_until 20 has_lines "$T/loop.out" 2
	check_pid=$(head -n 1 "$T/starts")
	exec 4>&-
	wait_until 10 bash -c "[[ ! -e /proc/$(<"$T/loop.pid") ]]"
	wait_until 10 bash -c "[[ ! -e /proc/$check_pid ]]"
}

@test "hc-loop --resident: restarts leave no fd and no zombie behind" {
	mkcheck crashes <<-'EOF'
		read -r request
		kill -SEGV $$
	EOF
	start_bg loop hc-loop --resident -i 20ms -t 10s -- "$T/crashes" </dev/null
	pid=$(<"$T/loop.pid")
	wait_until 30 has_lines "$T/loop.out" 5
	fds=$(most_fds "$pid")
	wait_until 60 has_lines "$T/loop.out" 40
	# 35 restarts later: one fd kept per restart would be 35 more.
	(($(most_fds "$pid") <= fds + 4))
	# Its children: the check of the moment, and maybe one not reaped yet.
	children=$(grep -l "^PPid:[[:space:]]*$pid\$" /proc/[0-9]*/status 2>/dev/null | wc -l)
	((children <= 2))
	run grep -c -v '^down rc=sig11 ' "$T/loop.out"
	[[ $output == 0 ]]
}

@test "hc-loop --resident: HC_RESIDENT reaches neither a check run once nor what a resident check runs" {
	run env HC_RESIDENT=1 hc-loop -n 1 -- sh -c 'echo "seen=${HC_RESIDENT:-none}"' </dev/null
	assert_success
	[[ $output == *" seen=none" ]]
	# A resident script that keeps HC_RESIDENT and runs hc-tcp: hc-tcp does
	# not lead the process group, so it runs once instead of taking requests.
	mkcheck keeps <<-'EOF'
		while read -r request; do
			hc-tcp -t 2s 127.0.0.1 1 </dev/null
			echo "$?"
		done
	EOF
	run timeout 20 hc-loop --resident -n 2 -i 20ms -t 5s -- "$T/keeps" </dev/null
	assert_failure 1
	[[ $(rcs) == "1 1 " ]]
}

@test "hc-loop --resident: hc-tcp, hc-load judge each run as a fresh run would" {
	tcp_server srv 127.0.0.1 hold
	start_bg loop hc-loop --resident -i 50ms -t 5s -- hc-tcp -t 2s 127.0.0.1 "$port" </dev/null
	wait_until 20 grep -q '^up rc=0 ' "$T/loop.out"
	kill "$(<"$T/srv.pid")"
	wait_until 20 grep -q '^down rc=1 ' "$T/loop.out"
	stop_bg_all
	# hc-load over fixtures: the reading follows the files each run.
	ln -s "$HC_SRCDIR/tests/fixtures/load/idle" "$T/root"
	start_bg loop2 hc-loop --resident -i 50ms -t 5s -- hc-load --root "$T/root" --metric 100 --mem 95 </dev/null
	wait_until 20 grep -q '^up rc=0 .* metric=102 mem=1.61$' "$T/loop2.out"
	ln -sfn "$HC_SRCDIR/tests/fixtures/load/pressure" "$T/root"
	wait_until 20 grep -q '^down rc=1 .* metric=200 mem=96.00$' "$T/loop2.out"
	ln -sfn "$HC_SRCDIR/tests/fixtures/load/idle" "$T/root"
	wait_until 20 bash -c "tail -n 1 '$T/loop2.out' | grep -q '^up rc=0 '"
}

@test "hc-loop --resident: a resident hc-load counts CPU over the time since its previous run" {
	start_bg loop hc-loop --resident -i 1s -n 3 -t 5s -- hc-load -v --cpu 100 --sample 50ms </dev/null
	wait_until 30 has_lines "$T/loop.out" 3
	# The first window is --sample (50 ms: five clock ticks a CPU, so it always counts
	# some; 10 ms could count none, and hc-load exits on that); the next ones span
	# the interval.
	cat "$T/loop.out" "$T/loop.err"
	run grep -o 'over [0-9]* ms' "$T/loop.err"
	[[ ${#lines[@]} == 3 ]]
	[[ ${lines[1]} =~ over\ ([0-9]+)\ ms ]] && ((BASH_REMATCH[1] >= 500))
	[[ ${lines[2]} =~ over\ ([0-9]+)\ ms ]] && ((BASH_REMATCH[1] >= 500))
}
