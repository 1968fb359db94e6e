#!/usr/bin/env bats
# hc-drill against a real hc pipeline: hc-loop, hc-dampen and hc-announce
# with a maintenance file and metrics (hc-announce's commands go to a file);
# then, as root, in the lab against real ExaBGP and BIRD (examples/drill).
# shellcheck disable=SC2154 # $output, $status and $stderr are set by bats

load test_helper
load lib-lab

# shellcheck disable=SC2034 # read by bats before each test
BATS_TEST_TIMEOUT=240

setup() {
	MAINT="$BATS_TEST_TMPDIR/web.maint"
	PROM="$BATS_TEST_TMPDIR/hc-web.prom"
}

teardown() {
	stop_bg_all
	lab_down
}

# pipeline ARGS...: the service "web": hc-loop | hc-dampen --rise 1 --fall 1 |
# hc-announce -N web -m $MAINT --metrics $PROM ARGS 203.0.113.10, one
# background process per stage; returns once hc-announce says the route is
# announced.  The check is true(1): what is under test is the maintenance
# file and the metrics, and a Python listener can take seconds to start on
# a busy machine.
pipeline() {
	local t=$BATS_TEST_TMPDIR
	mkfifo "$t/s1" "$t/s2"
	start_bg ann bash -c 'f=$1; shift; exec hc-announce --min-lifetime 0 "$@" 203.0.113.10 <"$f"' \
		_ "$t/s2" -N web -m "$MAINT" --metrics "$PROM" "$@"
	start_bg dampen bash -c 'exec hc-dampen --rise 1 --fall 1 <"$1" >"$2"' _ "$t/s1" "$t/s2"
	start_bg loop bash -c 'exec hc-loop -i 200ms -t 5s -- true </dev/null >"$1"' _ "$t/s1"
	wait_until 20 grep -qx 'hc_announce_announced{service="web"} 1' "$PROM" || { tail -n 3 "$t"/*.err; false; }
}

# commands: what hc-announce wrote, the route's "announce"/"withdraw" words in order.
commands() {
	awk '{ print $1 }' "$BATS_TEST_TMPDIR/ann.out" | uniq | tr '\n' ' '
}

# drill ARGS...: runs hc-drill on the pipeline's files.
drill() {
	run --separate-stderr hc-drill -m "$MAINT" --metrics "$PROM" "$@" web
}

@test "hc-drill: usage errors are one line and status 2, before anything is touched" {
	run --separate-stderr hc-drill
	assert_failure 2
	[[ $stderr == "hc-drill: missing SERVICE"* ]]
	run --separate-stderr hc-drill ../etc/passwd
	assert_failure 2
	[[ $stderr == "hc-drill: invalid service '../etc/passwd'"* ]]
	run --separate-stderr hc-drill --withdraw-limit 5x web
	assert_failure 2
	[[ $stderr == "hc-drill: invalid --withdraw-limit '5x': "* ]]
	run --separate-stderr hc-drill --hold -1s web
	assert_failure 2
	run --separate-stderr hc-drill --url https://192.0.2.80/ web
	assert_failure 2
	[[ $stderr == *"https is not supported"* ]]
	run --separate-stderr hc-drill --url 'http://[192.0.2.80]/' web
	assert_failure 2
	run --separate-stderr hc-drill --url 'http://192.0.2.80:0/' web
	assert_failure 2
	run --separate-stderr hc-drill web web2
	assert_failure 2
	[[ $(wc -l <<<"$stderr") == 1 ]]
	run --separate-stderr hc-drill -m "$MAINT" --withdraw-limit 0 web
	assert_failure 2
	[[ ! -e $MAINT ]]
}

@test "hc-drill: the drill drains, sees the withdraw, checks the URL, restores and sees the announce" {
	pipeline
	local hport
	start_bg http python3 "$HC_SRCDIR/tests/servers/httpserver.py" --log "$BATS_TEST_TMPDIR/http.log" \
		"$BATS_TEST_TMPDIR/http.port"
	wait_until 30 test -s "$BATS_TEST_TMPDIR/http.port"
	hport=$(<"$BATS_TEST_TMPDIR/http.port")
	drill --url "http://127.0.0.1:$hport/status/204"
	assert_success
	# The report, step by step, in order.
	[[ ${lines[0]} == "hc-drill: web: before: state up, 1 announced ($PROM)" ]]
	[[ ${lines[1]} == "hc-drill: web: drain: created $MAINT" ]]
	[[ ${lines[2]} == "hc-drill: web: withdrawn after "*": state maintenance, 0 announced" ]]
	[[ ${lines[3]} == "hc-drill: web: verified: http://127.0.0.1:$hport/status/204 answered HTTP 204 after "* ]]
	[[ ${lines[4]} == "hc-drill: web: restore: removed $MAINT (drill done)" ]]
	[[ ${lines[5]} == "hc-drill: web: announced again after "*": state up, 1 announced" ]]
	[[ ${lines[6]} == "hc-drill: web: drill passed in "* ]]
	[[ ! -e $MAINT ]]
	# hc-announce really withdrew and announced again, once each.
	[[ $(commands) == "withdraw announce withdraw announce " ]]
	grep -q "^GET /status/204 HTTP/1.0" "$BATS_TEST_TMPDIR/http.log"
}

@test "hc-drill: a withdraw that does not come within the limit fails the drill and restores the host" {
	# --announce-maint keeps the route announced in maintenance: no withdraw.
	pipeline --announce-maint
	drill --withdraw-limit 1s
	assert_failure 1
	[[ $output == *"FAILED: not withdrawn within 1000.00 ms: state maintenance, 1 announced"* ]]
	[[ $output == *"restore: removed $MAINT (after a failed step)"* ]]
	[[ ${lines[-1]} == "hc-drill: web: drill FAILED at the withdraw in "* ]]
	[[ ! -e $MAINT ]]
}

@test "hc-drill: a URL that does not answer fails the drill; the host is restored and announced again" {
	pipeline
	local dead
	tcp_server dead 127.0.0.1 closed
	dead=$port
	drill --url "http://127.0.0.1:$dead/" --verify-limit 500ms
	assert_failure 1
	[[ $output == *"FAILED: http://127.0.0.1:$dead/ did not answer 2xx within 500.00 ms"*"connect: Connection refused"* ]]
	[[ $output == *"announced again after"* ]]
	[[ ${lines[-1]} == "hc-drill: web: drill FAILED at the verify in "* ]]
	[[ ! -e $MAINT ]]
	wait_until 5 grep -qx 'hc_announce_announced{service="web"} 1' "$PROM"
}

@test "hc-drill: SIGTERM and SIGINT while drained remove the maintenance file at once" {
	pipeline
	local sig
	for sig in TERM INT; do
		start_bg "drill$sig" hc-drill -m "$MAINT" --metrics "$PROM" --hold 1m web
		wait_until 20 grep -q "withdrawn after" "$BATS_TEST_TMPDIR/drill$sig.out"
		[[ -e $MAINT ]]
		kill "-$sig" "$(<"$BATS_TEST_TMPDIR/drill$sig.pid")"
		local rc=0
		wait "$(<"$BATS_TEST_TMPDIR/drill$sig.pid")" || rc=$?
		[[ $rc == 1 ]]
		[[ ! -e $MAINT ]]
		grep -q "FAILED: interrupted by SIG$sig during the hold" "$BATS_TEST_TMPDIR/drill$sig.out"
		grep -q "restore: removed $MAINT (after a failed step)" "$BATS_TEST_TMPDIR/drill$sig.out"
		wait_until 10 grep -qx 'hc_announce_announced{service="web"} 1' "$PROM"
	done
}

@test "hc-drill: its own deadline ends the drill and restores the host" {
	pipeline
	drill --hold 1m --timeout 2s
	assert_failure 1
	[[ $output == *"FAILED: the drill's deadline (--timeout 2000.00 ms) passed during the hold"* ]]
	[[ ! -e $MAINT ]]
}

@test "hc-drill: a host drained already, or not announced, is left as it is" {
	pipeline
	echo "drained by the on-call" >"$MAINT"
	wait_until 10 grep -qx 'hc_announce_announced{service="web"} 0' "$PROM"
	drill
	assert_failure 1
	[[ $output == *"FAILED before the drain: hc-announce ($PROM) does not announce the service: state maintenance, 0 announced"* ]]
	[[ $(<"$MAINT") == "drained by the on-call" ]]

	# Series of another service, or no metrics at all: nothing is touched either.
	rm "$MAINT"
	wait_until 10 grep -qx 'hc_announce_announced{service="web"} 1' "$PROM"
	drill -N nosuch
	assert_failure 1
	[[ $output == *"no hc_announce_announced series for this service"* ]]
	[[ ! -e $MAINT ]]
	run --separate-stderr hc-drill -m "$MAINT" --metrics "$BATS_TEST_TMPDIR/missing.prom" web
	assert_failure 1
	[[ $output == *"cannot read $BATS_TEST_TMPDIR/missing.prom: No such file or directory"* ]]
	[[ ! -e $MAINT ]]
}

# lab_drill_hosts: two hosts running examples/drill with their files in $LAB_DIR.
lab_drill_hosts() {
	lab_up 2
	local i
	for i in 1 2; do
		sed -e "s|/run/hc/web.maint|$LAB_DIR/web-h$i.maint|" \
			-e "s|/var/lib/prometheus/node-exporter/hc-web.prom|$LAB_DIR/hc-web-h$i.prom|" \
			"$HC_SRCDIR/examples/drill/exabgp.conf" >"$LAB_DIR/drill-h$i.conf"
		lab_service_start "$i"
	done
	for i in 1 2; do
		lab_exabgp_start "$i" "$LAB_DIR/drill-h$i.conf"
	done
	wait_until 120 lab_nexthops_are $H1 $H2
}

# lab_drill I ARGS...: hc-drill on host I's files, run in the client's
# namespace so that --url reaches the VIP through the router.
lab_drill() {
	local i=$1
	shift
	ip netns exec "$(lab_ns c)" hc-drill -m "$LAB_DIR/web-h$i.maint" \
		--metrics "$LAB_DIR/hc-web-h$i.prom" "$@" web
}

@test "e2e hc-drill: the drill passes in the lab; the router loses the host while drained and gets it back" {
	lab_require
	lab_drill_hosts
	start_bg drill lab_drill 1 --url "http://$LAB_VIP/" --hold 3s --announce-limit 60s
	# While drained, the router routes the VIP to host 2 alone ...
	wait_until 20 lab_nexthops_are $H2
	run lab_client_get
	assert_output h2
	# ... and after the drill, to both again.
	local rc=0
	wait "$(<"$BATS_TEST_TMPDIR/drill.pid")" || rc=$?
	cat "$BATS_TEST_TMPDIR/drill.out" >&3
	[[ $rc == 0 ]]
	grep -q "verified: http://$LAB_VIP/ answered HTTP 200" "$BATS_TEST_TMPDIR/drill.out"
	grep -q "drill passed in" "$BATS_TEST_TMPDIR/drill.out"
	[[ ! -e $LAB_DIR/web-h1.maint ]]
	wait_until 5 lab_nexthops_are $H1 $H2
}

@test "e2e hc-drill: a drill on a host whose peers are all down fails and puts the host back" {
	lab_require
	lab_drill_hosts
	lab_service_stop 2
	wait_until 20 lab_nexthops_are $H1
	run lab_drill 1 --url "http://$LAB_VIP/" --verify-limit 3s --announce-limit 60s
	echo "$output" | sed 's/^/# /' >&3
	assert_failure 1
	[[ $output == *"FAILED: http://$LAB_VIP/ did not answer 2xx within 3000.00 ms"* ]]
	[[ ${lines[-1]} == "hc-drill: web: drill FAILED at the verify in "* ]]
	[[ ! -e $LAB_DIR/web-h1.maint ]]
	wait_until 10 lab_nexthops_are $H1
	run lab_client_get
	assert_output h1
}
