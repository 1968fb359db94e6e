# Helpers for the hc-announce suites.
# shellcheck shell=bash

# announce_with INPUT ARGS...: runs `hc-announce --min-lifetime 0 ARGS` with
# INPUT (a printf format) on its stdin; bats's run sets $output and $stderr.
announce_with() {
	local input=$1
	shift
	run --separate-stderr bash -c 'printf "$1" | hc-announce --min-lifetime 0 "${@:2}"' _ \
		"$input" "$@"
}

# announce_bg ARGS...: starts `hc-announce ARGS` in the background reading the
# fifo $BATS_TEST_TMPDIR/in, and opens fd 4 on it for the test to write lines.
# Output goes to $BATS_TEST_TMPDIR/ann.out and ann.err.
announce_bg() {
	mkfifo "$BATS_TEST_TMPDIR/in"
	start_bg ann bash -c 'f=$1; shift; exec hc-announce "$@" <"$f"' _ "$BATS_TEST_TMPDIR/in" "$@"
	exec 4>"$BATS_TEST_TMPDIR/in"
}

# out_has LINE: the background hc-announce wrote exactly LINE (a whole line).
out_has() {
	grep -qxF -- "$1" "$BATS_TEST_TMPDIR/ann.out"
}

# out_count: how many lines the background hc-announce wrote.
out_count() {
	wc -l <"$BATS_TEST_TMPDIR/ann.out"
}

# err_has TEXT: the background hc-announce's stderr contains TEXT.
err_has() {
	grep -qF -- "$1" "$BATS_TEST_TMPDIR/ann.err"
}

# ann_pid: the PID of the background hc-announce.
ann_pid() {
	cat "$BATS_TEST_TMPDIR/ann.pid"
}

# ann_exited: the background hc-announce has ended.
ann_exited() {
	! kill -0 "$(ann_pid)" 2>/dev/null
}
