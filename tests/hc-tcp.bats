#!/usr/bin/env bats
# hc-tcp against real listeners on loopback (and, as root, a network namespace).
# shellcheck disable=SC2154 # $port, $status, $stderr are set by helpers and bats

load test_helper

teardown() {
	stop_bg_all
	if [[ -n ${NETNS:-} ]]; then
		ip netns del "$NETNS" 2>/dev/null || true
		ip netns del "$NETNS-peer" 2>/dev/null || true
	fi
}

@test "hc-tcp: up and silent when a listener accepts" {
	tcp_server srv 127.0.0.1 hold
	run --separate-stderr hc-tcp 127.0.0.1 "$port"
	assert_success
	assert_output ""
	[[ -z $stderr ]]
}

@test "hc-tcp: -v says up with the time it took" {
	tcp_server srv 127.0.0.1 hold
	run --separate-stderr hc-tcp -v 127.0.0.1 "$port"
	assert_success
	[[ $stderr =~ ^hc-tcp:\ 127\.0\.0\.1:$port\ up\ in\ [0-9.]+\ ms$ ]]
}

@test "hc-tcp: an IPv6 literal is checked over IPv6" {
	tcp_server srv ::1 hold
	run --separate-stderr hc-tcp -v ::1 "$port"
	assert_success
	[[ $stderr == "hc-tcp: [::1]:$port up in "* ]]
}

@test "hc-tcp: a name is resolved and the address shown" {
	tcp_server srv 127.0.0.1 hold
	run --separate-stderr hc-tcp -v -4 localhost "$port"
	assert_success
	[[ $stderr == "hc-tcp: localhost:$port (127.0.0.1:$port) up in "* ]]
}

@test "hc-tcp: -6 refuses an IPv4 literal as down" {
	tcp_server srv 127.0.0.1 hold
	run --separate-stderr hc-tcp -v -6 127.0.0.1 "$port"
	assert_failure 1
	[[ $stderr == *"down: address of the wrong family"* ]]
}

@test "hc-tcp: a service name is accepted as the port" {
	run --separate-stderr hc-tcp -v -t 500ms 127.0.0.1 tcpmux
	assert_failure 1
	[[ $stderr == "hc-tcp: 127.0.0.1:1 down: connection refused"* ]]
}

@test "hc-tcp: connection refused is down at once" {
	tcp_server closed 127.0.0.1 closed
	elapsed_ms hc-tcp -t 30s 127.0.0.1 "$port"
	[[ $status == 1 ]]
	ends_before 30000
	run --separate-stderr hc-tcp -v 127.0.0.1 "$port"
	[[ $stderr == "hc-tcp: 127.0.0.1:$port down: connection refused (after "* ]]
}

@test "hc-tcp: a listener with a full backlog is down at the deadline" {
	tcp_server srv 127.0.0.1 full
	elapsed_ms hc-tcp -t 300ms 127.0.0.1 "$port"
	[[ $status == 1 ]]
	ends_at_deadline 300
	run --separate-stderr hc-tcp -v -t 300ms 127.0.0.1 "$port"
	assert_failure 1
	[[ $stderr =~ down:\ no\ answer\ before\ the\ deadline\ \(after\ ([0-9]+)\.[0-9]+\ ms\)$ ]]
	((BASH_REMATCH[1] >= 300))
}

@test "hc-tcp: an address that drops every packet is down at the deadline" {
	require_root_netns
	NETNS="hc-tcp-$$-$BATS_TEST_NUMBER"
	ip netns add "$NETNS"
	ip netns add "$NETNS-peer"
	ip -n "$NETNS" link add veth0 type veth peer name veth1 netns "$NETNS-peer"
	ip -n "$NETNS" addr add 198.51.100.1/24 dev veth0
	ip -n "$NETNS" link set veth0 up
	ip -n "$NETNS-peer" link set veth1 up
	ip -n "$NETNS" neigh add 198.51.100.2 lladdr 02:00:00:00:00:02 dev veth0 nud permanent
	t0=$(now_us)
	run --separate-stderr ip netns exec "$NETNS" "$HC_BIN/hc-tcp" -v -t 400ms 198.51.100.2 80
	elapsed=$((($(now_us) - t0) / 1000))
	assert_failure 1
	[[ $stderr == *"198.51.100.2:80 down: no answer before the deadline"* ]]
	ends_at_deadline 400
}

@test "hc-tcp: --expect reads a banner" {
	tcp_server srv 127.0.0.1 banner '220 mail.example ESMTP\r\n'
	run hc-tcp --expect '220 ' 127.0.0.1 "$port"
	assert_success
	run --separate-stderr hc-tcp -v --expect '554' -t 300ms 127.0.0.1 "$port"
	assert_failure 1
	[[ $stderr == *"down: expected string not received before the deadline"* ]]
}

@test "hc-tcp: --send and --expect check a request and its reply" {
	tcp_server srv 127.0.0.1 reply 'PING\r\n' '+PONG\r\n'
	run hc-tcp --send 'PING\r\n' --expect '+PONG' 127.0.0.1 "$port"
	assert_success
	run --separate-stderr hc-tcp -v --send 'PING\r\n' --expect '-ERR' -t 300ms 127.0.0.1 "$port"
	assert_failure 1
	[[ $stderr == *"down: expected string not received before the deadline"* ]]
}

# redis_started PORT: the last Redis started answers on PORT, or has exited
# (then the caller looks at why).
redis_started() {
	hc-tcp -t 1s 127.0.0.1 "$1" || ! kill -0 "$(<"$BATS_TEST_TMPDIR/redis.pid")" 2>/dev/null
}

@test "hc-tcp: checks a real Redis server with PING" {
	command -v redis-server >/dev/null || skip "redis-server not installed"
	# Redis cannot bind port 0 and report the port: a free port may be taken
	# before it binds, and then it gets another one.
	local attempt p
	for ((attempt = 1; attempt <= 5; attempt++)); do
		p=$(free_port)
		start_bg redis redis-server --port "$p" --bind 127.0.0.1 --save '' --appendonly no
		wait_until 30 redis_started "$p"
		kill -0 "$(<"$BATS_TEST_TMPDIR/redis.pid")" 2>/dev/null && break
		grep -q 'Address already in use' "$BATS_TEST_TMPDIR/redis.out"
	done
	kill -0 "$(<"$BATS_TEST_TMPDIR/redis.pid")"
	run --separate-stderr hc-tcp -v --send 'PING\r\n' --expect '+PONG' 127.0.0.1 "$p"
	assert_success
	[[ $stderr == "hc-tcp: 127.0.0.1:$p up in "* ]]
}

@test "hc-tcp: a reset right after accept is down" {
	tcp_server srv 127.0.0.1 reset
	run --separate-stderr hc-tcp -v --expect 'x' -t 1s 127.0.0.1 "$port"
	assert_failure 1
	[[ $stderr == *"down: connection reset by peer"* || $stderr == *"down: connection closed without a reply"* ]]
}

@test "hc-tcp: a connection closed without a reply is down" {
	tcp_server srv 127.0.0.1 close
	run --separate-stderr hc-tcp -v --expect 'x' -t 1s 127.0.0.1 "$port"
	assert_failure 1
	[[ $stderr == *"down: connection closed without a reply"* || $stderr == *"down: connection reset by peer"* ]]
}

@test "hc-tcp: a silent server fails --expect at the deadline" {
	tcp_server srv 127.0.0.1 hold
	elapsed_ms hc-tcp --expect 'hello' -t 300ms 127.0.0.1 "$port"
	[[ $status == 1 ]]
	ends_at_deadline 300
	run --separate-stderr hc-tcp -v --expect 'hello' -t 300ms 127.0.0.1 "$port"
	[[ $stderr == *"down: no reply before the deadline"* ]]
}

@test "hc-tcp: an unresolvable name is down within the deadline" {
	elapsed_ms hc-tcp -t 1s no-such-host.invalid 80
	[[ $status == 1 ]]
	((elapsed < 1000 + HC_TEST_SLACK_MS))
	run --separate-stderr hc-tcp -v -t 1s no-such-host.invalid 80
	assert_failure 1
	[[ $stderr =~ down:\ (name\ not\ found|name\ lookup\ timed\ out|name\ lookup\ failed) ]]
}

@test "hc-tcp: several addresses are tried in order until one answers" {
	require_root_netns
	command -v unshare >/dev/null || skip "needs unshare"
	tcp_server srv 127.0.0.1 hold
	printf '127.0.0.2 multi.test\n127.0.0.1 multi.test\n' >"$BATS_TEST_TMPDIR/hosts"
	run --separate-stderr unshare -m sh -c 'mount --bind "$1" /etc/hosts && exec "$2" -v -4 multi.test "$3"' \
		sh "$BATS_TEST_TMPDIR/hosts" "$HC_BIN/hc-tcp" "$port"
	assert_success
	[[ $stderr == "hc-tcp: multi.test:$port (127.0.0.1:$port) up in "* ]]
}

@test "hc-tcp: bad ports are usage errors with one line" {
	for p in 0 70000 -1 80x '' no-such-service; do
		run --separate-stderr hc-tcp -- 127.0.0.1 "$p"
		assert_failure 2
		[[ $stderr == "hc-tcp: invalid port '$p': "* ]]
		[[ $(wc -l <<<"$stderr") == 1 ]]
	done
}

@test "hc-tcp: a bad timeout is a usage error" {
	for t in 5x -1s 0 '' 1.5ns 2h; do
		run --separate-stderr hc-tcp --timeout="$t" 127.0.0.1 80
		assert_failure 2
		[[ $stderr == "hc-tcp: invalid --timeout '$t': "* ]]
	done
}

@test "hc-tcp: missing and extra arguments are usage errors" {
	run --separate-stderr hc-tcp
	assert_failure 2
	[[ $stderr == "hc-tcp: missing HOST and PORT"* ]]
	run --separate-stderr hc-tcp 127.0.0.1
	assert_failure 2
	[[ $stderr == "hc-tcp: missing PORT"* ]]
	run --separate-stderr hc-tcp 127.0.0.1 80 81
	assert_failure 2
	[[ $stderr == "hc-tcp: unexpected argument '81'"* ]]
	run --separate-stderr hc-tcp '' 80
	assert_failure 2
}

@test "hc-tcp: an unknown option is a usage error" {
	run --separate-stderr hc-tcp --no-such-option 127.0.0.1 80
	assert_failure 2
	[[ $stderr == "hc-tcp: unrecognized option '--no-such-option'"* ]]
}

@test "hc-tcp: malformed escapes in --send and --expect are usage errors" {
	run --separate-stderr hc-tcp --send 'a\q' 127.0.0.1 80
	assert_failure 2
	[[ $stderr == "hc-tcp: invalid --send 'a\\q': unknown escape" ]]
	run --separate-stderr hc-tcp --expect 'a\x4' 127.0.0.1 80
	assert_failure 2
	run --separate-stderr hc-tcp --expect '' 127.0.0.1 80
	assert_failure 2
}

@test "hc-tcp: --help and --version exit 0" {
	run hc-tcp --help
	assert_success
	assert_output --partial "HOST PORT"
	run hc-tcp --version
	assert_success
}

# verdicts: the -v lines of hc-tcp in $1 without their times, one per line.
verdicts() {
	grep '^hc-tcp: ' <<<"$1" | sed -e 's/ up in .*/ up/' -e 's/ (after [^)]*)$//'
}

@test "hc-tcp: each scenario has the same verdict run once and resident (hc-loop --resident)" {
	local n=0
	while IFS='|' read -r mode args timeout want; do
		n=$((n + 1))
		# shellcheck disable=SC2086 # the modes and args are word lists
		tcp_server "srv$n" 127.0.0.1 $mode
		# shellcheck disable=SC2086
		run --separate-stderr hc-tcp -v -t "$timeout" $args 127.0.0.1 "$port"
		[[ $status == "$want" ]] || { echo "$mode/$args: once $status: $stderr" >&2; false; }
		once=$(verdicts "$stderr")
		# shellcheck disable=SC2086
		run --separate-stderr hc-loop --resident -n 3 -i 20ms -t 10s -- \
			hc-tcp -v -t "$timeout" $args 127.0.0.1 "$port" </dev/null
		[[ $(sed -n 's/^[a-z]* rc=\([^ ]*\) .*/\1/p' <<<"$output" | tr '\n' ' ') == "$want $want $want " ]] ||
			{ echo "$mode/$args: resident $output" >&2; false; }
		[[ $(verdicts "$stderr") == "$(printf '%s\n%s\n%s' "$once" "$once" "$once")" ]] ||
			{ echo "$mode/$args: '$once' against '$stderr'" >&2; false; }
		stop_bg_all
	done <<-'EOF'
		hold||5s|0
		hold|-e hello|300ms|1
		banner 220-ready\r\n|-e 220|5s|0
		banner 220-ready\r\n|-e 554|300ms|1
		reply PING\r\n +PONG\r\n|-s PING\r\n -e +PONG|5s|0
		reply PING\r\n +PONG\r\n|-s PING\r\n -e -ERR|300ms|1
		close|-e x|5s|1
	EOF
	# Refused: nothing listens on the port the last server had.
	run --separate-stderr hc-loop --resident -n 2 -i 20ms -t 10s -- hc-tcp -v 127.0.0.1 "$port" </dev/null
	[[ $(sed -n 's/^[a-z]* rc=\([^ ]*\) .*/\1/p' <<<"$output" | tr '\n' ' ') == "1 1 " ]]
	[[ $(verdicts "$stderr") == "hc-tcp: 127.0.0.1:$port down: connection refused"*"refused" ]]
}
