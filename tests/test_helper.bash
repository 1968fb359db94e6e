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
# bats does not wait for it) and records its PID for teardown.
start_bg() {
	local name=$1
	shift
	"$@" 3>&- >"$BATS_TEST_TMPDIR/$name.out" 2>"$BATS_TEST_TMPDIR/$name.err" &
	echo "$!" >"$BATS_TEST_TMPDIR/$name.pid"
	HC_BG_PIDS+=("$!")
}

# stop_bg_all: TERM then KILL every process start_bg recorded; call from teardown.
stop_bg_all() {
	local pid
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

# tcp_server NAME ADDRESS MODE [ARGS...]: starts tests/servers/tcpserver.py and
# sets $port to the port it bound.
tcp_server() {
	local name=$1 address=$2
	shift 2
	local portfile="$BATS_TEST_TMPDIR/$name.port"
	start_bg "$name" python3 "$HC_SRCDIR/tests/servers/tcpserver.py" "$address" "$portfile" "$@"
	wait_until 10 test -s "$portfile"
	# shellcheck disable=SC2034 # read by the tests
	port=$(<"$portfile")
}

# free_port: a loopback TCP port with nothing listening (bound, then released).
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
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
