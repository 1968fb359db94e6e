# A stage whose reader never reads: its standard output is a FIFO whose only
# reader is `sleep`, so the pipe fills and stays full.  Load after test_helper.
# shellcheck shell=bash

# start_stalled NAME COMMAND...: starts COMMAND with start_bg NAME (its stdin
# what HC_BG_STDIN names), standard output into $BATS_TEST_TMPDIR/NAME.fifo,
# read by nobody; sets $stalled_pid.
start_stalled() {
	local name=$1
	shift
	local fifo=$BATS_TEST_TMPDIR/$name.fifo
	mkfifo "$fifo"
	HC_BG_STDIN=$fifo start_bg "$name-reader" sleep 600
	start_bg "$name" sh -c 'exec "$@" >"$0" 4>&-' "$fifo" "$@"
	stalled_pid=$(<"$BATS_TEST_TMPDIR/$name.pid")
}

# pipe_fill FIFO: "BYTES SIZE": the bytes waiting in the pipe of FIFO, and its
# capacity.
pipe_fill() {
	"$HC_PYTHON" -c '
import fcntl, os, struct, sys, termios
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_NONBLOCK)
waiting = struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0" * 4))[0]
print(waiting, fcntl.fcntl(fd, 1032))  # F_GETPIPE_SZ' "$1"
}

# pipe_stays_full FIFO: the pipe holds more than half its capacity (the
# kernel leaves the tail of each page unused when a line does not fit in it)
# and nothing more arrives in 300 ms: its writer is blocked.
pipe_stays_full() {
	local before size after
	read -r before size < <(pipe_fill "$1")
	((before > size / 2)) || return 1
	sleep 0.3
	read -r after size < <(pipe_fill "$1")
	((after == before))
}

# stalled_exit_status SECONDS: waits (bounded) for $stalled_pid to exit and
# sets $status to its exit status.
stalled_exit_status() {
	wait_until "$1" eval '! kill -0 "$stalled_pid" 2>/dev/null'
	# shellcheck disable=SC2034 # read by the tests
	wait "$stalled_pid" && status=0 || status=$?
}

# term_when_stalled FIFO: waits (bounded) until the pipe of FIFO stays full,
# sends SIGTERM to $stalled_pid and waits (bounded) for its exit; sets $status.
term_when_stalled() {
	wait_until 120 pipe_stays_full "$1"
	kill -TERM "$stalled_pid"
	stalled_exit_status 60
}
