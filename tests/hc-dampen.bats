#!/usr/bin/env bats
# hc-dampen fed recorded streams (printf, and the hand-written 1 s interval
# recording in tests/fixtures/dampen), asserting every output line exactly.
# shellcheck disable=SC2154 # $status, $output, $stderr, $lines are set by bats

load test_helper
load lib-stall

FIXTURES="$HC_SRCDIR/tests/fixtures/dampen"
STAMP='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z'

teardown() {
	stop_bg_all
}

# dampen INPUT [OPTION...]: runs hc-dampen on the bytes of printf '%b' INPUT.
dampen() {
	local input=$1
	shift
	printf '%b' "$input" >"$BATS_TEST_TMPDIR/in"
	run --separate-stderr hc-dampen "$@" <"$BATS_TEST_TMPDIR/in"
}

# xs N: N times the letter x.
xs() {
	local s
	printf -v s '%*s' "$1" ''
	echo "${s// /x}"
}

# expect_lines LINE...: the output is exactly these lines.
expect_lines() {
	assert_output "$(printf '%s\n' "$@")"
}

# start_dampen OPTION...: starts hc-dampen reading a FIFO that the test writes
# through fd 4 (open as long as the test wants), output in $BATS_TEST_TMPDIR/d.out.
start_dampen() {
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	exec 4<>"$BATS_TEST_TMPDIR/fifo"
	# A background command's stdin would be /dev/null: redirect inside it.
	start_bg d sh -c 'exec hc-dampen "$@" <"$0" 4>&-' "$BATS_TEST_TMPDIR/fifo" "$@"
	dampen_pid=$(<"$BATS_TEST_TMPDIR/d.pid")
}

# out_lines_are N: the background hc-dampen has written N lines.
out_lines_are() {
	[[ $(wc -l <"$BATS_TEST_TMPDIR/d.out") == "$1" ]]
}

# bg_exited PID: the process is gone.
bg_exited() {
	! kill -0 "$1" 2>/dev/null
}

@test "hc-dampen: passes the fields on and adds raw, one line per input line" {
	dampen 'up rc=0 ms=0.41 t=1764090000.123 metric=140\ndown rc=1 ms=2.00 t=1764090001.125\n' \
		--rise 1 --fall 1
	assert_success
	expect_lines \
		'up rc=0 ms=0.41 t=1764090000.123 metric=140 raw=up' \
		'down rc=1 ms=2.00 t=1764090001.125 raw=down' \
		'down why=eof'
	[[ -z $stderr ]]
}

@test "hc-dampen: starts down and goes up after 3 consecutive ups by default" {
	dampen 'up\nup\nup\nup\n'
	assert_success
	expect_lines 'down raw=up' 'down raw=up' 'up raw=up' 'up raw=up' 'down why=eof'
}

@test "hc-dampen: goes down after 3 consecutive downs by default" {
	dampen 'up\nup\nup\ndown\ndown\ndown\ndown\n'
	expect_lines 'down raw=up' 'down raw=up' 'up raw=up' \
		'up raw=down' 'up raw=down' 'down raw=down' 'down raw=down' 'down why=eof'
}

@test "hc-dampen: one result the other way restarts the count" {
	dampen 'up\nup\ndown\nup\nup\nup\ndown\ndown\nup\ndown\ndown\ndown\n' --rise 3 --fall 3
	expect_lines 'down raw=up' 'down raw=up' 'down raw=down' \
		'down raw=up' 'down raw=up' 'up raw=up' \
		'up raw=down' 'up raw=down' 'up raw=up' \
		'up raw=down' 'up raw=down' 'down raw=down' 'down why=eof'
}

@test "hc-dampen: --rise and --fall take other counts" {
	dampen 'up\nup\ndown\ndown\ndown\ndown\n' -r 2 -f 4
	expect_lines 'down raw=up' 'up raw=up' \
		'up raw=down' 'up raw=down' 'up raw=down' 'down raw=down' 'down why=eof'
}

@test "hc-dampen: --rise 1 --fall 1 passes every result through" {
	dampen 'up\ndown\nup\nup\ndown\n' --rise 1 --fall 1
	expect_lines 'up raw=up' 'down raw=down' 'up raw=up' 'up raw=up' 'down raw=down' \
		'down why=eof'
}

@test "hc-dampen: --initial up starts up and needs --fall downs to go down" {
	dampen 'down\ndown\nup\ndown\ndown\ndown\n' --initial up
	expect_lines 'up raw=down' 'up raw=down' 'up raw=up' \
		'up raw=down' 'up raw=down' 'down raw=down' 'down why=eof'
	dampen 'up\n' --initial down --rise 2
	expect_lines 'down raw=up' 'down why=eof'
}

@test "hc-dampen: --window K/N is up while at least K of the last N results are up" {
	dampen 'up\ndown\nup\ndown\ndown\nup\nup\n' --window 2/3
	expect_lines 'down raw=up' 'down raw=down' 'up raw=up' \
		'down raw=down' 'down raw=down' 'down raw=up' 'up raw=up' 'down why=eof'
}

@test "hc-dampen: --window 4/5 rides out one failure in five, not two" {
	dampen 'down\nup\nup\nup\nup\ndown\nup\ndown\n' --window 4/5 --initial up
	expect_lines 'up raw=down' 'up raw=up' 'up raw=up' 'up raw=up' 'up raw=up' \
		'up raw=down' 'up raw=up' 'down raw=down' 'down why=eof'
}

@test "hc-dampen: flap damping charges each fall and decays with the half-life exactly" {
	dampen 'up t=100\ndown t=100\nup t=110\ndown t=120\ndown t=130\ndown t=90\n' \
		--clock stream --rise 1 --fall 1 --half-life 10s --max-suppress 1m
	assert_success
	expect_lines \
		'up t=100 raw=up penalty=0' \
		'down t=100 raw=down penalty=1000' \
		'up t=110 raw=up penalty=500' \
		'down t=120 raw=down penalty=1250' \
		'down t=130 raw=down penalty=625' \
		'down t=90 raw=down penalty=625' \
		'down why=eof'
	[[ -z $stderr ]]
}

@test "hc-dampen: above --suppress up is held back until the penalty decays below --reuse" {
	dampen 'up t=0\ndown t=0\nup t=0\ndown t=10\nup t=20\nup t=25\nup t=26\n' \
		--clock stream -r 1 -f 1 --half-life 10s --suppress 1400 --reuse 500 --max-suppress 1m
	assert_success
	expect_lines \
		'up t=0 raw=up penalty=0' \
		'down t=0 raw=down penalty=1000' \
		'up t=0 raw=up penalty=1000' \
		'down t=10 raw=down penalty=1500' \
		'down t=20 raw=up penalty=750 hold=suppressed' \
		'down t=25 raw=up penalty=530 hold=suppressed' \
		'up t=26 raw=up penalty=495' \
		'down why=eof'
	[[ $stderr =~ ^hc-dampen:\ $STAMP\ flapping:\ penalty\ 1500\ is\ above\ --suppress\ 1400\;\ up\ is\ held\ back\ for\ 15\.85\ s,\ until\ it\ decays\ below\ --reuse\ 500$ ]]
}

@test "hc-dampen: --max-suppress caps the penalty, so the hold ends on time" {
	# Ceiling 500 * 2^(20s / 10s) = 2000: without it the third fall would make
	# 3000, held for 25.8 s.
	dampen 'up t=0\ndown t=0\nup t=0\ndown t=0\nup t=0\ndown t=0\nup t=0\nup t=19.999\nup t=20\n' \
		--clock stream -r 1 -f 1 --flap-penalty 1000 --suppress 1000 --reuse 500 \
		--half-life 10s --max-suppress 20s
	assert_success
	expect_lines \
		'up t=0 raw=up penalty=0' \
		'down t=0 raw=down penalty=1000' \
		'up t=0 raw=up penalty=1000' \
		'down t=0 raw=down penalty=2000' \
		'down t=0 raw=up penalty=2000 hold=suppressed' \
		'down t=0 raw=down penalty=2000' \
		'down t=0 raw=up penalty=2000 hold=suppressed' \
		'down t=19.999 raw=up penalty=500 hold=suppressed' \
		'up t=20 raw=up penalty=500' \
		'down why=eof'
}

@test "hc-dampen: --flap-damping alone uses the defaults 1000, 2000, 750, 5m" {
	dampen 'up t=0\ndown t=0\nup t=0\ndown t=0\nup t=0\ndown t=0\nup t=0\nup t=300\n' \
		--clock stream -r 1 -f 1 --flap-damping
	expect_lines \
		'up t=0 raw=up penalty=0' \
		'down t=0 raw=down penalty=1000' \
		'up t=0 raw=up penalty=1000' \
		'down t=0 raw=down penalty=2000' \
		'up t=0 raw=up penalty=2000' \
		'down t=0 raw=down penalty=3000' \
		'down t=0 raw=up penalty=3000 hold=suppressed' \
		'down t=300 raw=up penalty=1500 hold=suppressed' \
		'down why=eof'
}

@test "hc-dampen: --max-suppress defaults to 4 half-lives" {
	local input='' i
	for i in {1..13}; do input+='up t=0\ndown t=0\n'; done
	dampen "${input}up t=0\nup t=39.9\nup t=40\n" --clock stream -r 1 -f 1 --half-life 10s
	assert_success
	[[ ${lines[25]} == 'down t=0 raw=down penalty=12000' ]]
	[[ ${lines[26]} == 'down t=0 raw=up penalty=12000 hold=suppressed' ]]
	[[ ${lines[27]} == 'down t=39.9 raw=up penalty=755 hold=suppressed' ]]
	[[ ${lines[28]} == 'up t=40 raw=up penalty=750' ]]
}

@test "hc-dampen: --min-down holds down after a fall and after the start" {
	dampen 'up t=100\nup t=104.999\nup t=105\ndown t=106\nup t=108\nup t=111\n' \
		--clock stream -r 1 -f 1 --min-down 5s
	expect_lines \
		'down t=100 raw=up hold=min_down' \
		'down t=104.999 raw=up hold=min_down' \
		'up t=105 raw=up' \
		'down t=106 raw=down' \
		'down t=108 raw=up hold=min_down' \
		'up t=111 raw=up' \
		'down why=eof'
}

@test "hc-dampen: --min-up keeps a failed service up only for that long" {
	dampen 'up t=0\ndown t=1\nup t=2\ndown t=3\ndown t=4.999\ndown t=5\n' \
		--clock stream -r 1 -f 1 --min-up 5s
	expect_lines \
		'up t=0 raw=up' \
		'up t=1 raw=down hold=min_up' \
		'up t=2 raw=up' \
		'up t=3 raw=down hold=min_up' \
		'up t=4.999 raw=down hold=min_up' \
		'down t=5 raw=down' \
		'down why=eof'
}

@test "hc-dampen: nothing holds the final line down" {
	dampen 'up t=0\n' --clock stream -r 1 --min-up 1h
	expect_lines 'up t=0 raw=up' 'down why=eof'
}

@test "hc-dampen: --clock stream starts at the first usable t= and needs one on every line" {
	dampen 'garbage\nup t=100\nup\nup t=abc\nup t=-1\nup t=1.0000000001\nup t=105\n' \
		--clock stream -r 1 -f 5 --min-down 5s
	assert_success
	expect_lines \
		'down raw=down why=invalid' \
		'down t=100 raw=up hold=min_down' \
		'down raw=down hold=min_down why=invalid' \
		'down raw=down hold=min_down why=invalid' \
		'down raw=down hold=min_down why=invalid' \
		'down raw=down hold=min_down why=invalid' \
		'up t=105 raw=up' \
		'down why=eof'
	[[ ${stderr_lines[0]} =~ ^hc-dampen:\ $STAMP\ line\ 1:\ invalid\ \(unknown\ state\)\;\ counted\ as\ down$ ]]
	[[ ${stderr_lines[1]} =~ ^hc-dampen:\ $STAMP\ 4\ more\ warnings\ were\ not\ shown$ ]]
	dampen 'up\n' --clock stream -r 1
	expect_lines 'down raw=down why=invalid' 'down why=eof'
	[[ $stderr =~ line\ 1:\ invalid\ \(no\ usable\ t=\ field\ \(--clock\ stream\)\) ]]
}

@test "hc-dampen: an invalid line never counts as up, and counts as down" {
	local long
	long="up k=$(xs 1100)"
	local -a bad=(
		'garbage'                     'unknown state'
		'UP'                          'unknown state'
		'drain'                       'unknown state'
		'up\r'                        'carriage return (CRLF line end)'
		'up a=\0b'                    'NUL byte'
		'up a=\x01'                   'control or non-ASCII byte'
		'up a=\xc3\xa9'               'control or non-ASCII byte'
		'up\trc=0'                    'control or non-ASCII byte'
		''                            'empty line'
		"$long"                       'line too long'
		'up rc'                       "field without '='"
		'up  rc=0'                    'extra space'
		'up '                         'trailing space'
		' up'                         'extra space'
		'up Rc=0'                     'invalid key'
		'up rc=0 rc=1'                'repeated key'
	)
	local c  # not i: bats' run uses a global i
	for ((c = 0; c < ${#bad[@]}; c += 2)); do
		dampen "${bad[c]}\nup\n${bad[c]}\n" -r 1 -f 1
		assert_success
		expect_lines 'down raw=down why=invalid' 'up raw=up' 'down raw=down why=invalid' \
			'down why=eof'
		[[ ${stderr_lines[0]} == *" line 1: invalid (${bad[c + 1]}); counted as down" ]]
		[[ ${stderr_lines[1]} == *" 1 more warning was not shown" ]]
		((${#stderr_lines[@]} == 2))
	done
}

@test "hc-dampen: too many fields or too long a value is invalid" {
	local many="up" value
	for i in {1..33}; do many+=" k$i=1"; done
	value=$(xs 256)
	dampen "up\n$many\nup a=$value\n" -r 1 -f 1
	expect_lines 'up raw=up' 'down raw=down why=invalid' 'down raw=down why=invalid' \
		'down why=eof'
	[[ ${stderr_lines[0]} == *" line 2: invalid (too many fields); counted as down" ]]
}

@test "hc-dampen: an unterminated last line is invalid" {
	dampen 'up\nup' -r 1 -f 1
	expect_lines 'up raw=up' 'down raw=down why=invalid' 'down why=eof'
	[[ $stderr == *" line 2: invalid (no newline at end of input); counted as down" ]]
}

@test "hc-dampen: an over-long line counts once and the next line is read" {
	local long
	long="up k=$(xs 5000)"
	dampen "$long\nup rc=0\n" -r 1 -f 1
	expect_lines 'down raw=down why=invalid' 'up rc=0 raw=up' 'down why=eof'
	dampen "$long" -r 1 -f 1
	expect_lines 'down raw=down why=invalid' 'down why=eof'
}

@test "hc-dampen: binary input never crashes it and never goes up" {
	python3 -c 'import random, sys; random.seed(4); sys.stdout.buffer.write(random.randbytes(200000))' \
		>"$BATS_TEST_TMPDIR/bin"
	run --separate-stderr hc-dampen -r 1 <"$BATS_TEST_TMPDIR/bin"
	assert_success
	((${#lines[@]} > 700))
	[[ ${lines[-1]} == 'down why=eof' ]]
	[[ $(grep -cv '^down raw=down why=invalid$' <<<"$output") == 1 ]]
}

@test "hc-dampen: a valid line of 1024 bytes is up, without its fields (no room for raw=)" {
	local line
	line="up k=$(xs 255) l=$(xs 255) m=$(xs 255)"
	line+=" n=$(xs $((1024 - ${#line} - 3)))"
	((${#line} == 1024))
	dampen "$line\n" -r 1
	assert_success
	[[ ${lines[0]} == 'up raw=up' ]]
	[[ $stderr == *" line 1: no room for hc-dampen's fields; the line's own fields are dropped" ]]
}

@test "hc-dampen: a line with no room for raw= loses its own fields, with a warning" {
	local full="up"
	for i in {1..32}; do full+=" k$i=1"; done
	dampen "$full\n$full\n" -r 1 --flap-damping
	expect_lines 'up raw=up penalty=0' 'up raw=up penalty=0' 'down why=eof'
	[[ ${stderr_lines[0]} == *" line 1: no room for hc-dampen's fields; the line's own fields are dropped" ]]
	[[ ${stderr_lines[1]} == *" 1 more warning was not shown" ]]
}

@test "hc-dampen: raw, penalty and hold in the input are replaced or removed; why passes" {
	dampen 'up raw=down penalty=5 hold=min_up why=x a=1\n' -r 1
	expect_lines 'up raw=up why=x a=1' 'down why=eof'
}

@test "hc-dampen: empty input writes only the final line" {
	dampen ''
	assert_success
	expect_lines 'down why=eof'
	[[ -z $stderr ]]
}

@test "hc-dampen: each line is written as soon as it is read" {
	start_dampen -r 1
	printf 'up rc=0\n' >&4
	wait_until 20 out_lines_are 1
	[[ $(<"$BATS_TEST_TMPDIR/d.out") == 'up rc=0 raw=up' ]]
	printf 'down rc=1\n' >&4
	wait_until 20 out_lines_are 2
}

@test "hc-dampen: SIGTERM while no input comes writes down why=sigterm and exits 0" {
	start_dampen -r 1
	printf 'up\n' >&4
	wait_until 20 out_lines_are 1
	kill -TERM "$dampen_pid"
	wait_until 20 bg_exited "$dampen_pid"
	wait "$dampen_pid" && status=0 || status=$?
	((status == 0))
	[[ $(<"$BATS_TEST_TMPDIR/d.out") == $'up raw=up\ndown why=sigterm' ]]
	[[ ! -s $BATS_TEST_TMPDIR/d.err ]]
}

@test "hc-dampen: SIGINT writes down why=sigint; SIGHUP is ignored" {
	start_dampen -r 1
	printf 'up\n' >&4
	wait_until 20 out_lines_are 1
	kill -HUP "$dampen_pid"
	printf 'up\n' >&4
	wait_until 20 out_lines_are 2
	kill -INT "$dampen_pid"
	wait_until 20 bg_exited "$dampen_pid"
	wait "$dampen_pid" && status=0 || status=$?
	((status == 0))
	[[ $(<"$BATS_TEST_TMPDIR/d.out") == $'up raw=up\nup raw=up\ndown why=sigint' ]]
}

@test "hc-dampen: a --min-down hold that ends with no input writes a why=timer line" {
	t0=$(now_us)
	start_dampen -r 1 --min-down 1s
	printf 'up rc=0 metric=7\n' >&4
	wait_until 20 out_lines_are 2
	elapsed=$((($(now_us) - t0) / 1000))
	ends_at_deadline 1000
	[[ $(<"$BATS_TEST_TMPDIR/d.out") == $'down rc=0 metric=7 raw=up hold=min_down\nup rc=0 metric=7 raw=up why=timer' ]]
}

@test "hc-dampen: a --min-up hold that ends with no input writes a why=timer line" {
	start_dampen -r 1 -f 1 --min-up 500ms
	t0=$(now_us)
	printf 'up\ndown rc=1\n' >&4
	wait_until 20 out_lines_are 3
	elapsed=$((($(now_us) - t0) / 1000))
	ends_at_deadline 500
	[[ $(<"$BATS_TEST_TMPDIR/d.out") == $'up raw=up\nup rc=1 raw=down hold=min_up\ndown rc=1 raw=down why=timer' ]]
}

@test "hc-dampen: a suppression that ends with no input writes a why=timer line" {
	start_dampen -r 1 -f 1 --half-life 300ms --suppress 1500 --reuse 1000 --max-suppress 3s
	t0=$(now_us)
	printf 'up\ndown\nup\ndown\nup\n' >&4
	wait_until 20 out_lines_are 6
	elapsed=$((($(now_us) - t0) / 1000))
	# Two half-lives at most take the penalty below --reuse; --max-suppress
	# (3 s) bounds the hold in any case.
	((elapsed >= 200 && elapsed < 3000 + HC_TEST_SLACK_MS))
	mapfile -t out <"$BATS_TEST_TMPDIR/d.out"
	[[ ${out[4]} =~ ^down\ raw=up\ penalty=(1[5-9][0-9][0-9]|2000)\ hold=suppressed$ ]]
	# Below --reuse: how far below depends on how late the machine wakes it.
	[[ ${out[5]} =~ ^up\ raw=up\ penalty=([1-9][0-9]{0,2}|1000)\ why=timer$ ]]
	grep -Eq 'flapping: penalty (1[5-9][0-9][0-9]|2000) is above --suppress 1500' "$BATS_TEST_TMPDIR/d.err"
}

@test "hc-dampen: SIGTERM ends it while its reader never reads, exit 0" {
	mkfifo "$BATS_TEST_TMPDIR/in"
	exec 4<>"$BATS_TEST_TMPDIR/in"
	HC_BG_STDIN=$BATS_TEST_TMPDIR/in start_stalled d hc-dampen -r 1 -f 1
	# 8000 input lines, 80 kB of output: more than the pipe holds.
	printf 'up\n%.0s' {1..8000} >&4
	term_when_stalled "$BATS_TEST_TMPDIR/d.fifo"
	((status == 0))
	[[ ! -s $BATS_TEST_TMPDIR/d.err ]]
}

@test "hc-dampen: a non-blocking stdin that another reader shares is no read error" {
	mkfifo "$BATS_TEST_TMPDIR/in"
	exec 4<>"$BATS_TEST_TMPDIR/in"
	# cat reads the same pipe: a line hc-dampen is woken for may be gone by
	# the time it reads, and its non-blocking read says EAGAIN.
	HC_BG_STDIN=$BATS_TEST_TMPDIR/in start_bg thief sh -c 'exec cat 4>&-'
	HC_BG_STDIN=$BATS_TEST_TMPDIR/in start_bg d sh -c 'exec "$0" -c "
import os, sys
os.set_blocking(0, False)
os.execvp(sys.argv[1], sys.argv[1:])" hc-dampen -r 1 -f 1 4>&-' "$HC_PYTHON"
	dampen_pid=$(<"$BATS_TEST_TMPDIR/d.pid")
	# Pacing, one wake-up of both readers per line: a 5 ms read of a FIFO
	# that nothing writes (read is a bash builtin; sleep would fork).
	mkfifo "$BATS_TEST_TMPDIR/pace"
	exec 6<>"$BATS_TEST_TMPDIR/pace"
	for ((i = 0; i < 300; i++)); do
		printf 'up\n' >&4
		read -r -t 0.005 -u 6 || true
	done
	exec 6>&-
	exec 4>&-
	wait_until 30 bg_exited "$dampen_pid"
	wait "$dampen_pid" && status=0 || status=$?
	cat "$BATS_TEST_TMPDIR/d.err" >&2
	((status == 0))
	[[ ! -s $BATS_TEST_TMPDIR/d.err ]]
	[[ $(tail -n 1 "$BATS_TEST_TMPDIR/d.out") == 'down why=eof' ]]
	# Both readers got lines: they did compete for them.
	wait_until 30 bg_exited "$(<"$BATS_TEST_TMPDIR/thief.pid")"
	grep -q '^up$' "$BATS_TEST_TMPDIR/thief.out"
	grep -q '^up raw=up$' "$BATS_TEST_TMPDIR/d.out"
}

@test "hc-dampen: exits 0 quietly when its reader goes away" {
	run bash -c 'yes up | hc-dampen 2>"$1" | head -n 2; echo "${PIPESTATUS[1]}"' _ "$BATS_TEST_TMPDIR/err"
	expect_lines 'down raw=up' 'down raw=up' '0'
	[[ ! -s $BATS_TEST_TMPDIR/err ]]
}

@test "hc-dampen: a read error writes down why=error and exits 3" {
	run --separate-stderr hc-dampen </
	assert_failure 3
	expect_lines 'down why=error'
	[[ $stderr == 'hc-dampen: read: Is a directory' ]]
}

@test "hc-dampen: replaying a recording with the default rise 3 fall 3" {
	run --separate-stderr hc-dampen <"$FIXTURES/flapping.in"
	assert_success
	assert_output "$(<"$FIXTURES/flapping.rise3.out")"
	run bash -c 'hc-dampen <"$1" | cut -d " " -f 1 | uniq -c | tr -s " "' _ "$FIXTURES/flapping.in"
	expect_lines ' 2 down' ' 10 up' ' 7 down' ' 6 up' ' 3 down' ' 18 up' ' 1 down'
}

@test "hc-dampen: replaying a recording with --rise 5 announces later" {
	run --separate-stderr hc-dampen --rise 5 <"$FIXTURES/flapping.in"
	assert_success
	assert_output "$(<"$FIXTURES/flapping.rise5.out")"
}

@test "hc-dampen: replaying a recording with flap damping on the stream clock" {
	run --separate-stderr hc-dampen --clock stream --suppress 1500 --reuse 1000 \
		--half-life 20s --max-suppress 1m <"$FIXTURES/flapping.in"
	assert_success
	assert_output "$(<"$FIXTURES/flapping.damped.out")"
	[[ $stderr == *"flapping: penalty 1635 is above --suppress 1500; up is held back for 14.19 s, until it decays below --reuse 1000" ]]
}

@test "hc-dampen: bad option values are usage errors with one line" {
	local -a cases=(
		--rise 0 'too small'             --rise 1001 'too large'
		--rise 3x 'not a number'         --rise -1 'must not be negative'
		--rise '' 'not a number'         --rise 2.5 'not a whole number'
		--fall 0 'too small'             --fall abc 'not a number'
		--window 3 'not K/N (like 3/5)'  --window 0/5 'K: too small'
		--window 6/5 'K is larger than N' --window 3/1001 'N: too large'
		--window a/5 'K: not a number'   --window 3/ 'N: not a number'
		--window /5 'K: not a number'    --window 3/5/7 'N: not a number'
		--initial maybe 'not up or down' --initial UP 'not up or down'
		--min-up -1s 'must not be negative' --min-up 25h 'too large'
		--min-down 5x 'unknown unit'     --min-down '' 'not a duration (like 500ms, 2s, 1.5s, 1m)'
		--half-life 0 'too small'        --half-life 25h 'too large'
		--flap-penalty 0 'too small'     --flap-penalty 1e3 'not a number'
		--suppress 0 'too small'         --reuse 1000000001 'too large'
		--max-suppress 0 'too small'     --clock realtime 'not monotonic or stream'
	)
	local c  # not i: bats' run uses a global i
	for ((c = 0; c < ${#cases[@]}; c += 3)); do
		run --separate-stderr hc-dampen "${cases[c]}" "${cases[c + 1]}"
		assert_failure 2
		assert_output ''
		[[ $stderr == "hc-dampen: invalid ${cases[c]} '${cases[c + 1]}': ${cases[c + 2]}" ]]
	done
}

@test "hc-dampen: options that contradict each other are usage errors" {
	run --separate-stderr hc-dampen --window 3/5 --rise 2
	assert_failure 2
	[[ $stderr == 'hc-dampen: --window cannot be combined with --rise or --fall' ]]
	run --separate-stderr hc-dampen --reuse 3000
	assert_failure 2
	[[ $stderr == 'hc-dampen: --reuse 3000 must be below --suppress 2000' ]]
	run --separate-stderr hc-dampen --max-suppress 1s
	assert_failure 2
	[[ $stderr == 'hc-dampen: --max-suppress is too short: with this --half-life and --reuse the penalty could never exceed --suppress 2000' ]]
	run --separate-stderr hc-dampen --half-life 1s --max-suppress 65s
	assert_failure 2
	[[ $stderr == 'hc-dampen: --max-suppress must be at most 64 times --half-life' ]]
}

@test "hc-dampen: arguments and unknown options are usage errors" {
	run --separate-stderr hc-dampen extra
	assert_failure 2
	[[ $stderr == "hc-dampen: unexpected argument 'extra' (usage: hc-dampen [options] < stream)" ]]
	run --separate-stderr hc-dampen --no-such-option
	assert_failure 2
	[[ $stderr == "hc-dampen: unrecognized option '--no-such-option'"* ]]
}
