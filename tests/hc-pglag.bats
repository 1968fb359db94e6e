#!/usr/bin/env bats
# hc-pglag against a real PostgreSQL primary and streaming replicas that this
# file starts on loopback ports (tests/lib-pg.bash): p is the primary, r its
# replica, s a second replica that the tests promote and then shut down.
# shellcheck disable=SC2154 # $status, $output, $stderr, $port_* are set by bats and helpers

load test_helper
load lib-pg

# The replicas run wal_receiver_timeout = 8s instead of 60s so that the idle
# and silent-link cases take seconds, not minutes: an idle primary then talks
# every 4 s and hc-pglag derives a silence limit of 6 s (3/4 of it) by itself.
RECEIVER_TIMEOUT=8s

setup_file() {
	pg_available || skip "PostgreSQL server binaries not found in /usr/lib/postgresql"
	pg_setup_dir
	# autovacuum off: its commits would make the "idle" primary busy.
	pg_primary p "wal_receiver_timeout = $RECEIVER_TIMEOUT" "autovacuum = off"
	pg_sql p "CREATE ROLE hc_monitor LOGIN PASSWORD 'monitor-secret' IN ROLE pg_monitor;
		CREATE ROLE hc_plain LOGIN PASSWORD 'plain-secret';
		CREATE ROLE hc_slow LOGIN PASSWORD 'slow-secret' IN ROLE pg_monitor;
		ALTER ROLE hc_slow SET statement_timeout = '300ms';
		CREATE ROLE hc_wrong LOGIN PASSWORD 'the-right-one' IN ROLE pg_monitor;
		CREATE TABLE t (x int)"
	pg_replica r p
	pg_start r
	pg_replica s p
	pg_start s
	(
		umask 077
		cat >"$PGT/pgpass" <<-EOF
			*:*:*:hc_monitor:monitor-secret
			*:*:*:hc_plain:plain-secret
			*:*:*:hc_slow:slow-secret
			*:*:*:hc_wrong:not-the-password
		EOF
	)
	cat >"$PGT/pg_service.conf" <<-EOF
		[replica]
		host=127.0.0.1
		port=$port_r
		user=hc_monitor
		dbname=postgres
	EOF
	export PGPASSFILE="$PGT/pgpass" PGSERVICEFILE="$PGT/pg_service.conf"
}

teardown_file() {
	pg_stop_all
}

teardown() {
	stop_bg_all
	local pid
	if [[ -f $PGT/stopped.pids ]]; then
		while read -r pid; do kill -CONT "$pid" 2>/dev/null || true; done <"$PGT/stopped.pids"
		rm -f "$PGT/stopped.pids"
	fi
	# Sessions of the test's own clients may outlive them on the server.
	if [[ -f $PGT/sessions ]]; then
		local name app
		while read -r name app; do
			pg_sql "$name" "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
				WHERE application_name = '$app'" >/dev/null 2>&1 || true
		done <"$PGT/sessions"
		rm -f "$PGT/sessions"
	fi
	if [[ -f $PGT/settings ]]; then
		local name setting
		while read -r name setting; do
			pg_sql "$name" "ALTER SYSTEM RESET $setting" >/dev/null 2>&1 &&
				pg_sql "$name" "SELECT pg_reload_conf()" >/dev/null 2>&1 || true
		done <"$PGT/settings"
		rm -f "$PGT/settings"
	fi
	if [[ -f $PGT/r.paused ]]; then
		pg_sql r "SELECT pg_wal_replay_resume()" >/dev/null 2>&1 || true
		rm -f "$PGT/r.paused"
	fi
}

# hc-pglag ARGS...: the program with a 30 s deadline unless ARGS give one (a
# later -t wins).  Only the deadline tests are about the deadline; for the
# others the 2 s default is too short for a busy machine's PostgreSQL.
hc-pglag() {
	command hc-pglag -t 30s "$@"
}

# ci PORT [USER]: the connection string of a test.
ci() {
	echo "host=127.0.0.1 port=$1 user=${2:-hc_monitor} dbname=postgres"
}

# resident_agrees STATUS GLOB ARGS...: hc-pglag ARGS run resident, three runs
# of hc-loop --resident, gives at each run the verdict of a fresh run: status
# STATUS (rc= in the stream) and a -v line that matches GLOB.
resident_agrees() {
	local want=$1 glob=$2 state=down line n=0
	shift 2
	((want == 0)) && state=up
	run --separate-stderr hc-loop --resident -n 3 -i 100ms -t 10s -- hc-pglag -v "$@" </dev/null
	echo "resident: status $status; output: $output; stderr: $stderr"
	while IFS= read -r line; do
		[[ $line =~ ^$state\ rc=$want\  ]] || return 1
		n=$((n + 1))
	done <<<"$output"
	((n == 3)) || return 1
	n=0
	while IFS= read -r line; do
		[[ $line == hc-pglag:* ]] || continue
		# shellcheck disable=SC2053 # GLOB is a pattern
		[[ $line == $glob ]] || return 1
		n=$((n + 1))
	done <<<"$stderr"
	((n == 3))
}

# fields_to_full ARGS...: hc-pglag with its standard output on /dev/full (ENOSPC).
fields_to_full() {
	hc-pglag "$@" >/dev/full
}

# is_down ARGS...: hc-pglag says down.
is_down() {
	! hc-pglag "$@"
}

# sigstop PID: stops PID until the end of the test (teardown continues it).
sigstop() {
	echo "$1" >>"$PGT/stopped.pids"
	kill -STOP "$1"
}

# pause_replay: pauses replay on r until the end of the test.
pause_replay() {
	touch "$PGT/r.paused"
	pg_sql r "SELECT pg_wal_replay_pause()" >/dev/null
	wait_until 10 pg_is r "SELECT pg_get_wal_replay_pause_state()" paused
}

# caught_up: writes on p and waits until r is up with no lag.
caught_up() {
	pg_sql p "INSERT INTO t VALUES (0)"
	wait_until 20 hc-pglag --max-lag 0 "$(ci "$port_r")"
}

# spare_promoted: makes s a primary (once).
spare_promoted() {
	if [[ $(pg_sql s "SELECT pg_is_in_recovery()") == t ]]; then
		pg_as_owner "$PG_BIN/pg_ctl" -D "$PGT/s" -w -t 30 promote >/dev/null
	fi
}

# lock_wal_receiver_view: holds an ACCESS EXCLUSIVE lock on s's
# pg_stat_wal_receiver in a session of its own, so that hc-pglag's query waits.
lock_wal_receiver_view() {
	echo "s hc-lock" >>"$PGT/sessions"
	PGAPPNAME=hc-lock start_bg locker "$PG_BIN/psql" -X -q -h "$PGT/sock" -p "$port_s" -U postgres \
		-d postgres -c "BEGIN; LOCK TABLE pg_catalog.pg_stat_wal_receiver IN ACCESS EXCLUSIVE MODE;
			SELECT pg_sleep(30)"
	wait_until 10 pg_is s "SELECT count(*) FROM pg_locks
		WHERE relation = 'pg_stat_wal_receiver'::regclass AND granted" 1
}

@test "hc-pglag: a caught-up streaming replica is up; -v gives the numbers, -f the fields" {
	caught_up
	run --separate-stderr hc-pglag -v -f "$(ci "$port_r")"
	assert_success
	[[ $output =~ ^role=replica\ lag_s=0\.000\ lag_bytes=0\ silence_s=[0-9]+\.[0-9]{3}\ receiver=streaming$ ]]
	[[ $stderr =~ ^hc-pglag:\ 127\.0\.0\.1:$port_r\ up\ in\ [0-9.]+\ ms:\ streaming\ replica\;\ time\ lag\ 0\.000\ s,\ byte\ lag\ 0,\ receiver\ streaming,\ silence\ [0-9.]+\ s\ \(limit\ 6\.000\ s\)$ ]]
	run --separate-stderr hc-pglag "$(ci "$port_r")"
	assert_success
	assert_output ""
	[[ -z $stderr ]]
	resident_agrees 0 "hc-pglag: 127.0.0.1:$port_r up in * ms: streaming replica; time lag 0.000 s, *" \
		"$(ci "$port_r")"
}

@test "hc-pglag: a failed write of --fields does not change the verdict" {
	caught_up
	run --separate-stderr fields_to_full -f "$(ci "$port_r")"
	echo "$stderr"
	assert_success
	run --separate-stderr fields_to_full -f "$(ci "$port_p")"
	assert_failure 1
}

@test "hc-pglag: under hc-loop, -f carries the lag down the status stream" {
	command -v hc-loop >/dev/null || skip "hc-loop not built"
	caught_up
	# hc-loop's own timeout above hc-pglag's deadline (30 s here), so a slow check is
	# judged by hc-pglag, not cut short; stdin from /dev/null, since hc-loop
	# ends at the EOF of a pipe (ExaBGP gone) and make check's stdin may be one.
	run --separate-stderr hc-loop -n 1 -t 40s -- hc-pglag -t 30s -f "$(ci "$port_r")" </dev/null
	echo "output: $output; stderr: $stderr"
	assert_success
	[[ $output =~ ^up\ .*role=replica\ lag_s=0\.000\ lag_bytes=0\ silence_s=[0-9.]+\ receiver=streaming$ ]]
	run --separate-stderr hc-loop --resident -n 2 -t 5s -i 100ms -- hc-pglag -f "$(ci "$port_r")" </dev/null
	echo "output: $output; stderr: $stderr"
	assert_success
	[[ $(grep -cE '^up .*role=replica lag_s=0\.000 lag_bytes=0 silence_s=[0-9.]+ receiver=streaming$' <<<"$output") == 2 ]]
}

@test "hc-pglag: a caught-up replica stays up while the primary is idle far longer than --max-lag" {
	# Stands for "idle for 60 s" with the defaults: wal_receiver_timeout 60 s
	# means a keepalive every 30 s and a 45 s silence limit, so 60 s of idle
	# spans two keepalive periods.  Here (8 s, see RECEIVER_TIMEOUT) 10 s spans
	# 2.5 periods of 4 s against a 6 s limit: the same property, 6 times faster.
	# --max-lag 1s is far below the idle time, so a check that reads
	# now() - pg_last_xact_replay_timestamp() as the lag says down here.
	# Sized by what was seen, not by the clock alone: the checks go on for
	# 10 s and until one saw the silence grow past 2 s and a keepalive reset
	# it (a busy machine runs fewer checks in 10 s).
	caught_up
	local t0 silences=()
	t0=$(now_us)
	while (($(now_us) - t0 < 10000000)) || ! printf '%s\n' "${silences[@]}" | awk '
		{ if ($1 > max) max = $1; if (NR > 1 && $1 < prev) drops++; prev = $1 }
		END { exit !(max > 2 && drops >= 1) }'; do
		(($(now_us) - t0 < 60000000)) || { echo "silences: ${silences[*]}"; false; }
		run --separate-stderr hc-pglag -v -f --max-lag 1s "$(ci "$port_r")"
		[[ $status == 0 ]] || { echo "$stderr"; false; }
		[[ $output =~ silence_s=([0-9]+\.[0-9]+) ]]
		silences+=("${BASH_REMATCH[1]}")
		sleep 0.2
	done
	# The popular query would have said "lagging" by now.
	(($(pg_sql r "SELECT extract(epoch FROM now() - pg_last_xact_replay_timestamp())::int") >= 10))
	# The link was quiet, keepalives reset the silence, and it stayed under
	# the 6 s limit all along (each check above was up).
	printf '%s\n' "${silences[@]}" | awk '{ if ($1 > max) max = $1 } END { exit !(max < 6) }'
}

@test "hc-pglag: a replica under steady writes is up with its lag under the limits" {
	caught_up
	# The writer writes until the test ends (teardown ends its session), so
	# however slowly the checks run, they run while it writes.
	echo "p hc-writer" >>"$PGT/sessions"
	PGAPPNAME=hc-writer start_bg writer "$PG_BIN/psql" -X -q -h "$PGT/sock" -p "$port_p" -U postgres -d postgres -c \
		'DO $$ BEGIN LOOP INSERT INTO t SELECT -1 FROM generate_series(1, 200);
			COMMIT; PERFORM pg_sleep(0.02); END LOOP; END $$'
	local before after n
	wait_until 30 pg_is r "SELECT count(*) >= 400 FROM t WHERE x = -1" t
	before=$(pg_sql r "SELECT pg_last_wal_replay_lsn()")
	for ((n = 0; n < 10; n++)); do
		# Limits a busy machine's replay stays under; "up" is the point.
		run --separate-stderr hc-pglag -v --max-lag 5s --max-bytes 16MB "$(ci "$port_r")"
		[[ $status == 0 ]] || { echo "$stderr"; false; }
		sleep 0.1
	done
	after=$(pg_sql r "SELECT pg_last_wal_replay_lsn()")
	# The writes went on during the checks, and the replica replayed them.
	kill -0 "$(<"$BATS_TEST_TMPDIR/writer.pid")"
	[[ $(pg_sql r "SELECT pg_wal_lsn_diff('$after', '$before') > 0") == t ]]
}

@test "hc-pglag: replay paused is down; --allow-paused judges the lag alone" {
	caught_up
	pause_replay
	run --separate-stderr hc-pglag -v "$(ci "$port_r")"
	assert_failure 1
	[[ $stderr == *" down: WAL replay is paused; time lag "*", receiver streaming, "*", replay paused (after "*" ms)" ]]
	run --separate-stderr hc-pglag -v --allow-paused "$(ci "$port_r")"
	assert_success
	[[ $stderr == *" up in "*": replay paused, allowed by --allow-paused; "* ]]
	resident_agrees 1 "* down: WAL replay is paused; time lag *, replay paused (after * ms)" "$(ci "$port_r")"
	# The time lag grows while replay is paused: --max-lag 1h keeps this run about the pause.
	resident_agrees 0 "* up in *: replay paused, allowed by --allow-paused; *" --allow-paused \
		--max-lag 1h "$(ci "$port_r")"
}

@test "hc-pglag: byte lag over --max-bytes is down (replay paused while the primary writes)" {
	caught_up
	pause_replay
	pg_sql p "INSERT INTO t SELECT generate_series(1, 20000)"
	wait_until 10 pg_is r "SELECT pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()) > 65536" t
	run --separate-stderr hc-pglag -v -f --allow-paused --max-lag 1h --max-bytes 64kB "$(ci "$port_r")"
	assert_failure 1
	[[ $stderr =~ down:\ byte\ lag\ [0-9]+\ over\ --max-bytes\ 65536,\ re-checked\;\ .*\ \(after\ [0-9.]+\ ms\)$ ]]
	[[ $output =~ lag_bytes=([0-9]+) ]]
	((BASH_REMATCH[1] > 65536))
	resident_agrees 1 "* down: byte lag * over --max-bytes 65536, re-checked; *" \
		--allow-paused --max-lag 1h --max-bytes 64kB "$(ci "$port_r")"
	run hc-pglag --allow-paused --max-lag 1h --max-bytes 16MB "$(ci "$port_r")"
	assert_success
	resident_agrees 0 "* up in *" --allow-paused --max-lag 1h --max-bytes 16MB "$(ci "$port_r")"
	pg_sql r "SELECT pg_wal_replay_resume()"
	wait_until 20 hc-pglag --max-bytes 64kB "$(ci "$port_r")"
}

@test "hc-pglag: time lag over --max-lag is down once the oldest unreplayed commit is that old" {
	local t0
	t0=$(now_us)  # before the last commit that r replays
	caught_up
	pause_replay
	pg_sql p "INSERT INTO t VALUES (3)"
	wait_until 10 pg_is r "SELECT pg_last_wal_receive_lsn() > pg_last_wal_replay_lsn()" t
	# Behind since the write, but the last replayed commit is younger than 3 s.
	run --separate-stderr hc-pglag -v --allow-paused --max-lag 3s "$(ci "$port_r")"
	if (($(now_us) - t0 < 2500000)); then
		[[ $status == 0 ]] || { echo "$stderr"; false; }
	fi
	wait_until 10 is_down --allow-paused --max-lag 3s "$(ci "$port_r")"
	(($(now_us) - t0 >= 3000000))
	run --separate-stderr hc-pglag -v --allow-paused --max-lag 3s "$(ci "$port_r")"
	echo "$stderr"
	assert_failure 1
	[[ $stderr =~ down:\ time\ lag\ ([3-9]|[1-9][0-9]+)\.[0-9]{3}\ s\ over\ --max-lag\ 3\.000\ s,\ re-checked\;\ time\ lag\ .*\ \(after\ [0-9.]+\ ms\)$ ]]
	resident_agrees 1 "* down: time lag * s over --max-lag 3.000 s, re-checked; time lag *" \
		--allow-paused --max-lag 3s "$(ci "$port_r")"
}

@test "hc-pglag: a replica whose primary stopped is down at once, while receive - replay says 0" {
	caught_up
	pg_stop p
	wait_until 20 is_down "$(ci "$port_r")"
	run --separate-stderr hc-pglag -v "$(ci "$port_r")"
	assert_failure 1
	[[ $stderr =~ down:\ (no\ WAL\ receiver:\ the\ replica\ is\ not\ connected\ to\ its\ primary|the\ WAL\ receiver\ is\ [a-z]+,\ not\ streaming) ]]
	[[ $(pg_sql r "SELECT pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())") == 0 ]]
	resident_agrees 1 "* down: *WAL receiver*" "$(ci "$port_r")"
	pg_start p
	wait_until 30 hc-pglag "$(ci "$port_r")"
}

@test "hc-pglag: a silent link (walsender stopped) is down within the silence limit" {
	caught_up
	local walsender t0 first="" elapsed
	walsender=$(pg_sql p "SELECT pid FROM pg_stat_replication WHERE application_name = 'r'")
	[[ $walsender =~ ^[0-9]+$ ]]
	sigstop "$walsender"
	t0=$(now_us)
	pg_sql p "INSERT INTO t VALUES (-4)"  # the primary writes on
	# What the popular queries see: nothing to replay, while the row is missing.
	[[ $(pg_sql p "SELECT pg_current_wal_lsn() > '$(pg_sql r "SELECT pg_last_wal_receive_lsn()")'") == t ]]
	[[ $(pg_sql r "SELECT count(*) FROM t WHERE x = -4") == 0 ]]
	[[ $(pg_sql r "SELECT pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())") == 0 ]]
	# The 6 s limit counts from the last message, which came 0-4 s before t0:
	# a check that starts 6 s after t0 or later sees a silence past the limit
	# and must be down, however long the machine took to get there.
	local started
	while :; do
		started=$(now_us)
		if ! hc-pglag -v "$(ci "$port_r")" 2>"$BATS_TEST_TMPDIR/err"; then
			first=$(<"$BATS_TEST_TMPDIR/err")
			break
		fi
		((started - t0 < 6100000)) || fail "up in a check started $(((started - t0) / 1000)) ms after the walsender stopped"
		sleep 0.1
	done
	elapsed=$((($(now_us) - t0) / 1000))
	echo "after $elapsed ms: $first"
	[[ $first =~ down:\ nothing\ received\ from\ the\ primary\ for\ ([0-9]+)\.[0-9]{3}\ s\ \(limit\ 6\.000\ s\) ]]
	((BASH_REMATCH[1] >= 6))
	kill -CONT "$walsender"
	wait_until 30 hc-pglag "$(ci "$port_r")"
}

@test "hc-pglag: the silence limit is 3/4 of the replica's wal_receiver_timeout unless given" {
	caught_up
	run --separate-stderr hc-pglag -v "$(ci "$port_r")"
	[[ $stderr == *", silence "*" s (limit 6.000 s)" ]]
	# The walsender stopped, the silence only grows: every check from the
	# first down on is down (a keepalive between two checks would make one up).
	local walsender
	walsender=$(pg_sql p "SELECT pid FROM pg_stat_replication WHERE application_name = 'r'")
	[[ $walsender =~ ^[0-9]+$ ]]
	sigstop "$walsender"
	wait_until 20 is_down --max-silence 50ms "$(ci "$port_r")"
	run --separate-stderr hc-pglag -v --max-silence 50ms "$(ci "$port_r")"
	assert_failure 1
	[[ $stderr == *" down: nothing received from the primary for "*" s (limit 0.050 s); "*" (after "* ]]
	resident_agrees 1 "* down: nothing received from the primary for * s (limit 0.050 s); *" \
		--max-silence 50ms "$(ci "$port_r")"
	kill -CONT "$walsender"
	wait_until 30 hc-pglag "$(ci "$port_r")"
	# wal_receiver_timeout = 0: an idle link never speaks, so silence is not checked.
	echo "r wal_receiver_timeout" >>"$PGT/settings"
	pg_sql r "ALTER SYSTEM SET wal_receiver_timeout = 0" && pg_sql r "SELECT pg_reload_conf()" >/dev/null
	wait_until 20 pg_is r "SHOW wal_receiver_timeout" 0
	run --separate-stderr hc-pglag -v "$(ci "$port_r")"
	assert_success
	[[ $stderr == *", silence "*" s (not checked)" ]]
	resident_agrees 0 "*, silence * s (not checked)" "$(ci "$port_r")"
}

@test "hc-pglag: a primary is down; --allow-primary counts it up" {
	run --separate-stderr hc-pglag -v -f "$(ci "$port_p")"
	assert_failure 1
	assert_output "role=primary"
	[[ $stderr == "hc-pglag: 127.0.0.1:$port_p down: not a replica: the server is not in recovery (a primary, or a promoted replica); role primary (after "*" ms)" ]]
	run --separate-stderr hc-pglag -v --allow-primary "$(ci "$port_p")"
	assert_success
	[[ $stderr == *" up in "*": not in recovery (a primary), allowed by --allow-primary; role primary" ]]
	resident_agrees 1 "hc-pglag: 127.0.0.1:$port_p down: not a replica: *; role primary (after * ms)" \
		"$(ci "$port_p")"
	resident_agrees 0 "* up in *: not in recovery (a primary), allowed by --allow-primary; role primary" \
		--allow-primary "$(ci "$port_p")"
}

@test "hc-pglag: a promoted replica is down; --allow-primary counts it up" {
	run hc-pglag "$(ci "$port_s")"
	assert_success
	spare_promoted
	run --separate-stderr hc-pglag -v "$(ci "$port_s")"
	assert_failure 1
	[[ $stderr == *" down: not a replica: the server is not in recovery"* ]]
	run hc-pglag --allow-primary "$(ci "$port_s")"
	assert_success
}

@test "hc-pglag: a server-side statement timeout is down with its own reason" {
	spare_promoted
	lock_wal_receiver_view
	# Down by the server's 300 ms, long before the check's own deadline.
	elapsed_ms hc-pglag -t 30s --allow-primary "$(ci "$port_s" hc_slow)"
	((status == 1))
	ends_before 30000
	run --separate-stderr hc-pglag -v --allow-primary "$(ci "$port_s" hc_slow)"
	assert_failure 1
	[[ $stderr == *" down: query failed: canceling statement due to statement timeout (SQLSTATE 57014) (after "* ]]
	resident_agrees 1 "* down: query failed: canceling statement due to statement timeout (SQLSTATE 57014) (after *" \
		--allow-primary "$(ci "$port_s" hc_slow)"
}

@test "hc-pglag: a query that hangs is down at the deadline and cancelled on the server" {
	spare_promoted
	lock_wal_receiver_view
	local t0
	t0=$(now_us)
	# 3 s: the cancel request must reach a busy server before the deadline.
	run --separate-stderr hc-pglag -v --allow-primary -t 3s "$(ci "$port_s")"
	local took=$((($(now_us) - t0) / 1000))
	echo "stderr: $stderr"
	assert_failure 1
	[[ $stderr == *" down: the query got no answer before the deadline (cancelled) (after "* ]]
	# hc-pglag gives up on the query a little before the deadline, to send
	# the cancel request in time.
	((took >= 2000 && took < 3000 + HC_TEST_SLACK_MS))
	# The lock is still held, yet no backend of hc-pglag waits for it: the
	# cancel request reached the server (closing the connection would not
	# stop a backend waiting on a lock).
	wait_until 20 pg_is s "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'hc-pglag'" 0
	[[ $(pg_sql s "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'hc-lock'") == 1 ]]
	grep -q 'canceling statement due to user request' "$PGT/s.log"
	resident_agrees 1 "* down: the query got no answer before the deadline (cancelled) (after *" \
		--allow-primary -t 2s "$(ci "$port_s")"
	wait_until 3 pg_is s "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'hc-pglag'" 0
}

@test "hc-pglag: a cancel request the server does not take cannot hold the check past its deadline" {
	spare_promoted
	lock_wal_receiver_view
	local t0 pid rc=0 took
	t0=$(now_us)
	# 3 s: time for the test to see the query and stop the postmaster first,
	# on a busy machine too.
	start_bg check hc-pglag -v --allow-primary -t 3s "$(ci "$port_s")"
	pid=$(<"$BATS_TEST_TMPDIR/check.pid")
	wait_until 20 pg_is s "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'hc-pglag'" 1
	# The postmaster, which takes cancel requests, now accepts connections and says nothing.
	sigstop "$(pg_pid s)"
	wait "$pid" || rc=$?
	took=$((($(now_us) - t0) / 1000))
	cat "$BATS_TEST_TMPDIR/check.err"
	((rc == 1))
	[[ $(<"$BATS_TEST_TMPDIR/check.err") == *" down: the query got no answer before the deadline (not cancelled: the server did not take the cancel request before the deadline) (after "*" ms)" ]]
	((took >= 2990 && took < 3000 + HC_TEST_SLACK_MS))
}

@test "hc-pglag: resident, a cancel request the server does not take cannot hold the run past its deadline" {
	spare_promoted
	lock_wal_receiver_view
	local pid rc=0
	# 3 s, as above: the postmaster must be stopped before the query is given up.
	start_bg loop hc-loop --resident -n 1 -t 10s -- hc-pglag -v --allow-primary -t 3s "$(ci "$port_s")" </dev/null
	pid=$(<"$BATS_TEST_TMPDIR/loop.pid")
	wait_until 20 pg_is s "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'hc-pglag'" 1
	sigstop "$(pg_pid s)"
	wait "$pid" || rc=$?
	cat "$BATS_TEST_TMPDIR/loop.out" "$BATS_TEST_TMPDIR/loop.err"
	((rc == 1))
	[[ $(<"$BATS_TEST_TMPDIR/loop.out") =~ ^down\ rc=1\  ]]
	[[ $(<"$BATS_TEST_TMPDIR/loop.err") == *" down: the query got no answer before the deadline (not cancelled: the server did not take the cancel request before the deadline) (after "*" ms)" ]]
}

@test "hc-pglag: a hung server (postmaster stopped) is down at the deadline" {
	sigstop "$(pg_pid r)"
	local t0 took
	t0=$(now_us)
	run --separate-stderr hc-pglag -v -t 500ms "$(ci "$port_r")"
	took=$((($(now_us) - t0) / 1000))
	assert_failure 1
	[[ $stderr == *" down: no answer before the deadline: the server accepted the connection but did not answer (after "* ]]
	((took >= 450 && took < 500 + HC_TEST_SLACK_MS))
	resident_agrees 1 "* down: no answer before the deadline: the server accepted the connection but did not answer (after *" \
		-t 500ms "$(ci "$port_r")"
}

@test "hc-pglag: connection refused is down at once" {
	tcp_server closed 127.0.0.1 closed
	elapsed_ms hc-pglag -t 30s "$(ci "$port")"
	((status == 1))
	ends_before 30000
	run --separate-stderr hc-pglag -v "$(ci "$port")"
	[[ $stderr == "hc-pglag: 127.0.0.1:$port down: cannot connect: Connection refused (after "*" ms)" ]]
	resident_agrees 1 "hc-pglag: 127.0.0.1:$port down: cannot connect: Connection refused (after * ms)" "$(ci "$port")"
}

@test "hc-pglag: a failed password authentication is down with the server's reason" {
	run --separate-stderr hc-pglag -v "$(ci "$port_r" hc_wrong)"
	assert_failure 1
	[[ $stderr == *" down: cannot connect: FATAL: password authentication failed for user \"hc_wrong\"; password retrieved from file \"$PGT/pgpass\" (after "* ]]
	PGPASSFILE=/dev/null run --separate-stderr hc-pglag -v "$(ci "$port_r")"
	assert_failure 1
	[[ $stderr == *" down: cannot connect: fe_sendauth: no password supplied (after "* ]]
	resident_agrees 1 "* down: cannot connect: FATAL: password authentication failed for user \"hc_wrong\"; *" \
		"$(ci "$port_r" hc_wrong)"
}

@test "hc-pglag: a role without pg_monitor is down, naming the grant it needs" {
	run --separate-stderr hc-pglag -v "$(ci "$port_r" hc_plain)"
	assert_failure 1
	[[ $stderr == *" down: the role cannot read pg_stat_wal_receiver: grant it pg_monitor; "*" (after "* ]]
	resident_agrees 1 "* down: the role cannot read pg_stat_wal_receiver: grant it pg_monitor; *" \
		"$(ci "$port_r" hc_plain)"
}

@test "hc-pglag: a server still starting up is down with its own reason" {
	# A standby whose WAL never comes (pg_basebackup -X none, primary_conninfo to
	# a closed port) stays short of a consistent state, refusing connections.
	local dead
	tcp_server closed 127.0.0.1 closed
	dead=$port
	pg_replica starting p -X none
	# After the primary_conninfo that -R wrote there: the last one counts.
	echo "primary_conninfo = 'host=127.0.0.1 port=$dead user=postgres'" |
		pg_as_owner tee -a "$PGT/starting/postgresql.auto.conf" >/dev/null
	pg_as_owner "$PG_BIN/pg_ctl" -D "$PGT/starting" -l "$PGT/starting.log" -W start >/dev/null 3>&-
	wait_until 20 grep -q 'entering standby mode' "$PGT/starting.log"
	run --separate-stderr hc-pglag -v "$(ci "$port_starting")"
	assert_failure 1
	[[ $stderr == *" down: cannot connect: FATAL: the database system is "*"; DETAIL: "* ||
		$stderr == *" down: cannot connect: FATAL: the database system is starting up (after"* ]]
	resident_agrees 1 "* down: cannot connect: FATAL: the database system is *" "$(ci "$port_starting")"
	pg_stop starting immediate
}

@test "hc-pglag: a server shutting down is down with its own reason" {
	start_bg holder "$PG_BIN/psql" -X -q -h "$PGT/sock" -p "$port_s" -U postgres -d postgres \
		-c "SELECT pg_sleep(20)"
	wait_until 10 pg_is s "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%'" 1
	pg_as_owner "$PG_BIN/pg_ctl" -D "$PGT/s" -m smart -W stop >/dev/null
	wait_until 10 is_down --allow-primary "$(ci "$port_s")"
	run --separate-stderr hc-pglag -v --allow-primary "$(ci "$port_s")"
	assert_failure 1
	[[ $stderr == *" down: cannot connect: FATAL: the database system is shutting down (after "* ]]
	resident_agrees 1 "* down: cannot connect: FATAL: the database system is shutting down (after *" \
		--allow-primary "$(ci "$port_s")"
	pg_stop s fast
}

@test "hc-pglag: host names are resolved within the deadline" {
	run --separate-stderr hc-pglag -v "host=localhost port=$port_r user=hc_monitor dbname=postgres"
	assert_success
	[[ $stderr == "hc-pglag: localhost:$port_r (127.0.0.1) up in "* ]]
	resident_agrees 0 "hc-pglag: localhost:$port_r (127.0.0.1) up in *" \
		"host=localhost port=$port_r user=hc_monitor dbname=postgres"
	elapsed_ms hc-pglag -t 1s "host=no-such-host.invalid port=$port_r user=hc_monitor"
	((status == 1 && elapsed < 1000 + HC_TEST_SLACK_MS))
	run --separate-stderr hc-pglag -v -t 1s "host=no-such-host.invalid port=$port_r user=hc_monitor"
	[[ $stderr =~ down:\ cannot\ resolve\ \'no-such-host\.invalid\':\ (name\ not\ found|name\ lookup\ timed\ out|name\ lookup\ failed) ]]
}

@test "hc-pglag: with host=a,b a lookup of a that hangs leaves b its share of the deadline" {
	require_root_netns
	command -v unshare >/dev/null || skip "needs unshare"
	# In its own network and mount namespaces: a.hc.test goes to a DNS server
	# on 127.0.0.1:53 that never answers, b.hc.test is in a private /etc/hosts,
	# and 127.0.0.1:$port_r is forwarded to r's socket in $PGT/sock.
	local tmp=$BATS_TEST_TMPDIR
	printf 'nameserver 127.0.0.1\noptions timeout:5 attempts:2\n' >"$tmp/resolv.conf"
	printf '127.0.0.1 localhost\n127.0.0.1 b.hc.test\n' >"$tmp/hosts"
	run --separate-stderr unshare -nm sh -c '
		ip link set lo up && mount --bind "$1/resolv.conf" /etc/resolv.conf &&
			mount --bind "$1/hosts" /etc/hosts || exit 9
		python3 -c "
import socket, sys, threading
dns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
dns.bind((\"127.0.0.1\", 53))
ls = socket.socket()
ls.bind((\"127.0.0.1\", int(sys.argv[2])))
ls.listen(8)
def pump(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    try:
        b.shutdown(socket.SHUT_WR)
    except OSError:
        pass
open(sys.argv[1] + \"/ready\", \"w\").close()
while True:
    c, _ = ls.accept()
    u = socket.socket(socket.AF_UNIX)
    u.connect(sys.argv[3])
    threading.Thread(target=pump, args=(c, u), daemon=True).start()
    threading.Thread(target=pump, args=(u, c), daemon=True).start()
" "$1" "$2" "$3" & helper=$!
		i=0
		while [ ! -e "$1/ready" ] && [ $i -lt 500 ]; do sleep 0.02; i=$((i + 1)); done
		"$4" -v -t 3s "host=a.hc.test,b.hc.test port=$2 user=hc_monitor dbname=postgres"
		rc=$?
		kill $helper
		exit $rc' sh "$tmp" "$port_r" "$PGT/sock/.s.PGSQL.$port_r" "$HC_BIN/hc-pglag"
	echo "status $status: $stderr"
	assert_success
	[[ $stderr == "hc-pglag: b.hc.test:$port_r (127.0.0.1) up in "*": streaming replica; "* ]]
}

# lines_at_least FILE REGEX N: FILE has N lines or more that match REGEX (for wait_until).
lines_at_least() {
	(($(grep -cE "$2" "$1") >= $3))
}

@test "hc-pglag --keep-connection: resident, the connection is kept; one the server ends is one down run, then up again" {
	caught_up
	local out=$BATS_TEST_TMPDIR/loop.out err=$BATS_TEST_TMPDIR/loop.err loop pid ups
	start_bg loop hc-loop --resident -i 250ms -t 5s -- \
		hc-pglag -v --keep-connection --max-lag 1h "$(ci "$port_r")" </dev/null
	loop=$(<"$BATS_TEST_TMPDIR/loop.pid")
	wait_until 20 lines_at_least "$out" '^up ' 3
	# The runs so far used one connection: one backend, there between runs too.
	pid=$(pg_sql r "SELECT pid FROM pg_stat_activity WHERE application_name = 'hc-pglag'")
	[[ $pid =~ ^[0-9]+$ ]]
	ups=$(grep -c '^up ' "$out")
	wait_until 10 lines_at_least "$out" '^up ' $((ups + 2))
	[[ $(pg_sql r "SELECT pid FROM pg_stat_activity WHERE application_name = 'hc-pglag'") == "$pid" ]]
	pg_sql r "SELECT pg_terminate_backend($pid)" >/dev/null
	wait_until 20 lines_at_least "$out" '^down ' 1
	ups=$(grep -c '^up ' "$out")
	wait_until 20 lines_at_least "$out" '^up ' $((ups + 2))
	local new
	new=$(pg_sql r "SELECT pid FROM pg_stat_activity WHERE application_name = 'hc-pglag'")
	kill -TERM "$loop"
	wait_until 10 bash -c '! kill -0 "$1" 2>/dev/null' sh "$loop"
	cat "$out" "$err"
	# up... then exactly one down, then up again, on a new connection.
	[[ $(cut -d' ' -f1 "$out" | tr '\n' ' ') =~ ^(up\ )+down\ (up\ )+$ ]]
	grep -Eq ' down: (query failed: terminating connection due to administrator command|connection lost|cannot send the query)' "$err"
	[[ $new =~ ^[0-9]+$ && $new != "$pid" ]]
}

@test "hc-pglag: resident without --keep-connection, every run has a new connection" {
	caught_up
	local log_before
	pg_sql r "ALTER SYSTEM SET log_connections = on" >/dev/null
	echo "r log_connections" >>"$PGT/settings"
	pg_sql r "SELECT pg_reload_conf()" >/dev/null
	wait_until 5 pg_is r "SHOW log_connections" on
	log_before=$(grep -c 'application_name=hc-pglag' "$PGT/r.log" || true)
	run --separate-stderr hc-loop --resident -n 3 -i 100ms -t 5s -- hc-pglag "$(ci "$port_r")" </dev/null
	assert_success
	[[ $(grep -c '^up ' <<<"$output") == 3 ]]
	wait_until 5 test "$(grep -c 'application_name=hc-pglag' "$PGT/r.log")" -ge $((log_before + 3))
	wait_until 5 pg_is r "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'hc-pglag'" 0
}

@test "hc-pglag: the service file, PG* variables, URIs and the password file all connect" {
	run hc-pglag "service=replica"
	assert_success
	PGSERVICE=replica run hc-pglag
	assert_success
	PGHOST=127.0.0.1 PGPORT=$port_r PGUSER=hc_monitor run hc-pglag postgres
	assert_success
	run hc-pglag "postgresql://hc_monitor@127.0.0.1:$port_r/postgres"
	assert_success
	# The conninfo wins over the service, as in libpq.
	run --separate-stderr hc-pglag -v "service=replica user=hc_plain"
	assert_failure 1
	[[ $stderr == *"grant it pg_monitor"* ]]
}

@test "hc-pglag: a password on the command line is refused" {
	for c in "host=127.0.0.1 password=secret" "postgresql://u:secret@127.0.0.1/db"; do
		run --separate-stderr hc-pglag "$c"
		assert_failure 2
		[[ $stderr == "hc-pglag: invalid conninfo: it holds a password, which any user could read with ps(1); use a password file (PGPASSFILE, ~/.pgpass)" ]]
	done
}

@test "hc-pglag: bad values are usage errors with one line" {
	local args
	for args in "--max-lag=5x" "--max-lag=-1s" "--max-bytes=1Q" "--max-bytes=-1" \
		"--max-silence=0" "--timeout=0" "--timeout=2h" "host='x" "nosuchoption=1" \
		"postgresql://[::1"; do
		run --separate-stderr hc-pglag "$args"
		assert_failure 2
		[[ $(wc -l <<<"$stderr") == 1 ]]
		[[ $stderr == "hc-pglag: invalid "* ]]
	done
	run --separate-stderr hc-pglag "host=127.0.0.1" extra
	assert_failure 2
	[[ $stderr == "hc-pglag: unexpected argument 'extra'"* ]]
	run --separate-stderr hc-pglag --no-such-option
	assert_failure 2
}

@test "hc-pglag: --help and --version exit 0" {
	run hc-pglag --help
	assert_success
	assert_output --partial "[CONNINFO]"
	assert_output --partial "--max-silence"
	run hc-pglag --version
	assert_success
}
