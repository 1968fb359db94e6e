#!/usr/bin/env bats
# Replays every fuzz corpus (fuzz/corpus/NAME) through its harness, compiled
# without libFuzzer as fuzz/replay-NAME, so the inputs the fuzzers kept stay
# exercised by the suite.  scripts/fuzz does the fuzzing itself.
# shellcheck disable=SC2154 # $output, $status are set by bats

load test_helper

# harnesses: the NAME of every fuzz/fuzz-NAME.c in the source tree.
harnesses() {
	local src name
	for src in "$HC_SRCDIR"/fuzz/fuzz-*.c; do
		name=${src##*/fuzz-}
		echo "${name%.c}"
	done
}

# replay NAME: runs fuzz/replay-NAME over fuzz/corpus/NAME and checks it ran
# every file there.
replay() {
	local name=$1 corpus=$HC_SRCDIR/fuzz/corpus/$1
	local files=("$corpus"/*)
	run --separate-stderr "$HC_BUILDDIR/fuzz/replay-$name" "$corpus"
	assert_success
	assert_output "replay: ${#files[@]} inputs"
}

@test "fuzz: every harness has a seed corpus and a replay program" {
	local name n=0
	for name in $(harnesses); do
		[[ -d $HC_SRCDIR/fuzz/corpus/$name ]] || fail "no fuzz/corpus/$name"
		[[ -x $HC_BUILDDIR/fuzz/replay-$name ]] || fail "no fuzz/replay-$name in Makefile.am"
		n=$((n + 1))
	done
	((n >= 10))
}

@test "fuzz: the community corpus replays through hc-announce's validators and route_command" {
	replay community
}

@test "fuzz: the stream corpus replays through hc_stream_parse and hc_status_format" {
	replay stream
}

@test "fuzz: the prefix corpus replays through hc_parse_addr and hc_parse_prefix" {
	replay prefix
}

@test "fuzz: the fixed corpus replays through hc_parse_int and hc_parse_fixed" {
	replay fixed
}

@test "fuzz: the duration corpus replays through hc_parse_duration" {
	replay duration
}

@test "fuzz: the size corpus replays through hc_parse_size" {
	replay size
}

@test "fuzz: the linebuf corpus replays through hc_linebuf in chunks" {
	replay linebuf
}

@test "fuzz: the loopfields corpus replays through hc-loop's check-output parser and a reference" {
	replay loopfields
}

@test "fuzz: the announce corpus replays through hc-announce's state and a model of its man page" {
	replay announce
}

@test "fuzz: the dampen corpus replays through hc-dampen's state and a model of its man page" {
	replay dampen
}

@test "fuzz: the neighbors corpus replays through hc-neighbors' reading of ExaBGP's events" {
	replay neighbors
}

@test "fuzz: a replay of no input fails" {
	mkdir "$BATS_TEST_TMPDIR/empty"
	run --separate-stderr "$HC_BUILDDIR/fuzz/replay-stream" "$BATS_TEST_TMPDIR/empty"
	assert_failure 2
	assert_output "replay: 0 inputs"
}
