# Shared helpers for the bats suites.  Every program under test comes from
# HC_BIN: the build tree (the default), or the installed package's /usr/bin
# (HC_BIN=/usr/bin, as debian/tests runs the suites).  Every server a test
# starts is recorded and stopped by its PID.

bats_require_minimum_version 1.5.0

: "${HC_BUILDDIR:=$(cd "$BATS_TEST_DIRNAME/.." && pwd)}"
: "${HC_SRCDIR:=$(cd "$BATS_TEST_DIRNAME/.." && pwd)}"
: "${HC_BIN:=$HC_BUILDDIR}"
export HC_BIN
# Testing the build tree, a program it lacks must not be found further down
# PATH (an installed /usr/bin/hc-*, e.g. while tests/package.bats runs): each
# one gets a stand-in, next in PATH, that fails.
hc_not_built=
if [[ $HC_BIN == "$HC_BUILDDIR" ]]; then
	hc_not_built=$BATS_RUN_TMPDIR/hc-not-built
	mkdir -p "$hc_not_built"
	for page in "$HC_SRCDIR"/man/hc-*.1; do
		program=$(basename "$page" .1)
		[[ -x $HC_BIN/$program ]] && continue
		printf '#!/bin/sh\necho "%s: not built in %s" >&2\nexit 127\n' \
			"$program" "$HC_BUILDDIR" >"$hc_not_built/$program"
		chmod +x "$hc_not_built/$program"
	done
fi
PATH="$HC_BIN${hc_not_built:+:$hc_not_built}:$PATH"
export PATH
unset hc_not_built page program
# The Python of the test servers.  make check resolves python3 once per suite
# into HC_PYTHON: a version manager's python3 is a shell script that takes
# seconds to start on a busy machine, every time.
: "${HC_PYTHON:=python3}"

for lib in bats-support bats-assert; do
	for dir in ${BATS_LIB_PATH:-} /usr/lib/bats /usr/local/lib/bats /usr/lib/node_modules; do
		if [[ -f "$dir/$lib/load.bash" ]]; then
			load "$dir/$lib/load.bash"
			break
		fi
	done
done

# shellcheck source=tests/lib-wait.bash
source "$BATS_TEST_DIRNAME/lib-wait.bash"

# start_bg NAME COMMAND...: starts COMMAND in the background (fd 3 closed, so
# bats does not wait for it) and records its PID for teardown.  Its stdin is
# /dev/null, or the file $HC_BG_STDIN names; its output goes to
# $BATS_TEST_TMPDIR/NAME.out and NAME.err.
start_bg() {
	local name=$1
	shift
	"$@" <"${HC_BG_STDIN:-/dev/null}" 3>&- >"$BATS_TEST_TMPDIR/$name.out" \
		2>"$BATS_TEST_TMPDIR/$name.err" &
	echo "$!" >"$BATS_TEST_TMPDIR/$name.pid"
	HC_BG_PIDS+=("$!")
}

# stop_bg_all: closes fd 4 (the FIFO a test may hold open as a pipeline's
# stdin), then TERMs and KILLs every process start_bg recorded; call from
# teardown.
stop_bg_all() {
	local pid
	exec 4>&-
	for pid in "${HC_BG_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${HC_BG_PIDS[@]}"; do
		local i
		for ((i = 0; i < 100; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.02
		done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	HC_BG_PIDS=()
}
HC_BG_PIDS=()

# server_port NAME: waits until server NAME (started by start_bg) has written
# the port it bound to $BATS_TEST_TMPDIR/NAME.port, and sets $port to it.
server_port() {
	local portfile="$BATS_TEST_TMPDIR/$1.port"
	wait_until 30 test -s "$portfile"
	# shellcheck disable=SC2034 # read by the tests
	port=$(<"$portfile")
}

# tcp_server NAME ADDRESS MODE [ARGS...]: starts tests/servers/tcpserver.py and
# sets $port to the port it bound.  Mode `closed` holds a port that refuses
# every connection: bound, never listening, so nothing else can take it.
tcp_server() {
	local name=$1 address=$2
	shift 2
	start_bg "$name" "$HC_PYTHON" "$HC_SRCDIR/tests/servers/tcpserver.py" "$address" \
		"$BATS_TEST_TMPDIR/$name.port" "$@"
	server_port "$name"
}

# free_port: a loopback TCP port with nothing listening (bound, then released).
# Another process may take it before the caller uses it: prefer a server that
# binds port 0 and reports it (tcp_server, tcp_server NAME ADDRESS closed).
free_port() {
	"$HC_PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# HC_TEST_SLACK_MS: how long after its deadline a program may end on a busy
# machine (start-up under the sanitizers included) and still be on time.
: "${HC_TEST_SLACK_MS:=5000}"

# ends_at_deadline DEADLINE_MS: $elapsed (see elapsed_ms) shows that the
# program waited for its deadline (10 ms of clock rounding allowed) and ended
# within HC_TEST_SLACK_MS of it.  Load only ever makes a program late, so the
# lower bound is exact and the upper one generous.
ends_at_deadline() {
	if ((elapsed < $1 - 10 || elapsed >= $1 + HC_TEST_SLACK_MS)); then
		echo "ends_at_deadline: took $elapsed ms for a deadline of $1 ms" \
			"(slack $HC_TEST_SLACK_MS ms)" >&2
		return 1
	fi
}

# ends_before DEADLINE_MS: $elapsed is at most half of DEADLINE_MS: the program
# did not wait for its deadline.  Give it a deadline far above the slack.
ends_before() {
	if ((elapsed * 2 > $1)); then
		echo "ends_before: took $elapsed ms, not far short of the deadline of $1 ms" >&2
		return 1
	fi
}

# elapsed_ms COMMAND...: runs COMMAND, sets $status and $elapsed (milliseconds).
elapsed_ms() {
	local t0
	t0=$(now_us)
	# shellcheck disable=SC2034 # read by the tests
	"$@" && status=0 || status=$?
	# shellcheck disable=SC2034
	elapsed=$((($(now_us) - t0) / 1000))
}

# require_root_netns: skips unless this test may create network namespaces.
require_root_netns() {
	[[ $(id -u) == 0 ]] || skip "needs root for network namespaces"
	command -v ip >/dev/null || skip "needs iproute2"
}

# mkcheck NAME: writes stdin to an executable script $T/NAME (T is the
# test's directory, which the suite sets in setup).
mkcheck() {
	{
		echo '#!/bin/sh'
		cat
	} >"$T/$1"
	chmod +x "$T/$1"
}
