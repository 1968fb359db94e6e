#!/usr/bin/env bats
# End to end: real ExaBGP on each host running the examples/ pipelines, a real
# BIRD router, real HTTP services, asserted at the router's FIB and BGP table.
# shellcheck disable=SC2154 # $status and $output are set by bats

load test_helper
load lib-lab
load lib-pg

# ExaBGP sessions, rise and fall take seconds; the robustness tests minutes.
# shellcheck disable=SC2034 # read by bats before each test
BATS_TEST_TIMEOUT=300

EXAMPLES="$HC_SRCDIR/examples"

setup() {
	lab_require
}

teardown() {
	lab_down
	pg_stop_all
}

# meds_are MED1 MED2: BIRD holds the VIP from host 1 with MED1 and host 2 with MED2.
meds_are() {
	[[ $(lab_route_med $H1) == "$1" && $(lab_route_med $H2) == "$2" ]]
}

@test "e2e active-active: a failed service leaves the router's ECMP set and returns after rise" {
	lab_up_serving 3 "$EXAMPLES/active-active/exabgp.conf"

	lab_service_stop 2
	wait_until 15 lab_nexthops_are $H1 $H3
	# The client keeps getting answers from the hosts that are left.
	for _ in 1 2 3 4 5 6; do
		run lab_client_get
		assert_success
		[[ $output == h1 || $output == h3 ]]
	done

	lab_service_start 2
	wait_until 15 lab_nexthops_are $H1 $H2 $H3
	# Rise is 3 checks at 1 s: it must not come back at once.
	run lab_client_get
	assert_success
}

@test "e2e active-passive: the router prefers the primary by MED, fails over and fails back" {
	lab_up 2
	lab_service_start 1
	lab_service_start 2
	lab_exabgp_start 1 "$EXAMPLES/active-passive/exabgp-primary.conf"
	lab_exabgp_start 2 "$EXAMPLES/active-passive/exabgp-secondary.conf"
	wait_until 30 meds_are 100 200
	[[ $(lab_best_via) == "$H1" ]]
	lab_nexthops_are $H1

	lab_service_stop 1
	wait_until 15 lab_nexthops_are $H2
	[[ $(lab_best_via) == "$H2" ]]
	run lab_client_get
	assert_output h2

	lab_service_start 1
	wait_until 15 lab_nexthops_are $H1
	run lab_client_get
	assert_output h1
}

@test "e2e maintenance: touching the file drains the host, removing it restores" {
	lab_up 2
	for i in 1 2; do
		sed "s|/run/hc/web.maint|$LAB_DIR/maintenance-h$i|" "$EXAMPLES/maintenance/exabgp.conf" \
			>"$LAB_DIR/maintenance-h$i.conf"
		lab_service_start "$i"
		lab_exabgp_start "$i" "$LAB_DIR/maintenance-h$i.conf"
	done
	wait_until 30 lab_nexthops_are $H1 $H2

	touch "$LAB_DIR/maintenance-h1"
	wait_until 20 lab_nexthops_are $H2
	run lab_client_get
	assert_output h2
	rm "$LAB_DIR/maintenance-h1"
	wait_until 10 lab_nexthops_are $H1 $H2
}

# load_fixture NAME: hc-load's --root, $LAB_DIR/load, becomes a copy of the
# recorded host tests/fixtures/load/NAME, in one rename (a symbolic link
# replaced), so that no run reads a directory half gone.
load_fixture() {
	[[ -d $LAB_DIR/fixtures/$1 ]] || cp -r "$HC_SRCDIR/tests/fixtures/load/$1" "$LAB_DIR/fixtures/$1"
	ln -sfn "$LAB_DIR/fixtures/$1" "$LAB_DIR/load.next"
	mv -T "$LAB_DIR/load.next" "$LAB_DIR/load"
}

# med_is MED: BIRD holds the VIP from host 1 with MED.
med_is() {
	[[ $(lab_route_med $H1) == "$1" ]]
}

@test "e2e load MED: the MED at the router follows hc-load's metric" {
	lab_up 1
	mkdir "$LAB_DIR/fixtures"
	load_fixture idle
	# The recorded busy host is 100% busy, over the example's --cpu 95: here
	# the limit is 100%, so that busy stays up and its MED can be seen at
	# the router; the pressure host (memory 96% in use) is over --mem 95.
	sed -e "s#hc-load #hc-load --root $LAB_DIR/load #" -e "s#--cpu 95#--cpu 100#" \
		"$EXAMPLES/load-med/exabgp.conf" >"$LAB_DIR/load.conf"
	grep -q -- '--cpu 100 ' "$LAB_DIR/load.conf"
	lab_exabgp_start 1 "$LAB_DIR/load.conf"
	wait_until 60 lab_nexthops_are $H1
	local idle_med busy_med
	idle_med=$(lab_route_med $H1)
	((idle_med >= 100 && idle_med <= 200))

	# Busy: hc-load's metric is 200, and so becomes the MED (hysteresis 10).
	load_fixture busy
	wait_until 60 med_is 200
	busy_med=$(lab_route_med $H1)
	((busy_med > idle_med + 10))
	lab_nexthops_are $H1

	# Over a limit: withdrawn; idle again: announced again with the idle MED.
	load_fixture pressure
	wait_until 60 lab_nexthops_are
	load_fixture idle
	wait_until 60 med_is "$idle_med"
	lab_nexthops_are $H1
}


@test "e2e db replica: replication lag withdraws the read VIP, catching up restores it" {
	pg_available || skip "needs PostgreSQL server binaries"
	lab_up 1
	pg_setup_dir
	pg_primary p
	pg_replica r p
	pg_start r
	# The example names libpq service "replica"; the service file points at
	# the replica's Unix socket, which the host namespace sees too.
	printf '[replica]\nhost=%s\nport=%s\nuser=postgres\ndbname=postgres\n' "$PGT/sock" "$port_r" \
		>"$LAB_DIR/pg_service.conf"
	PGSERVICEFILE="$LAB_DIR/pg_service.conf" lab_exabgp_start 1 "$EXAMPLES/db-replica/exabgp.conf"
	wait_until 30 lab_nexthops_are $H1

	# Replay stops while the primary writes on: the lag passes 5 s.
	pg_sql r "SELECT pg_wal_replay_pause()"
	pg_sql p "CREATE TABLE t AS SELECT 1 AS x"
	wait_until 20 lab_nexthops_are
	pg_sql r "SELECT pg_wal_replay_resume()"
	wait_until 20 lab_nexthops_are $H1
}

@test "e2e comprehensive: web, database and cache must all answer" {
	pg_available || skip "needs PostgreSQL server binaries"
	command -v redis-server >/dev/null || skip "needs redis-server"
	lab_up 1
	lab_service_start 1
	pg_setup_dir
	pg_primary db
	ip netns exec "$(lab_ns h1)" redis-server --port 6379 --bind 127.0.0.1 --save '' \
		--appendonly no 3>&- >"$LAB_DIR/redis.log" 2>&1 &
	echo "$!" >"$LAB_DIR/redis.pid"
	# The example's deadlines (1 s a check, 3 s a run) are for a production
	# host; the lab runs three sanitizer builds a run on a machine that may
	# be busy, so they are lifted here.  A dead service is still down at
	# once: a refused connection does not wait for a deadline.
	sed -e "s#\${HC_PG_CONNINFO:-service=hc}#host=$PGT/sock port=$port_db user=postgres dbname=postgres#" \
		-e "s#-t 1s #-t 10s #" -e "s#-t 500ms #-t 10s #" \
		"$EXAMPLES/comprehensive/check-all" >"$LAB_DIR/check-all"
	[[ $(grep -c -- '-t 10s ' "$LAB_DIR/check-all") == 3 ]]
	chmod 755 "$LAB_DIR/check-all"
	sed -e "s#/etc/exabgp/check-all#$LAB_DIR/check-all#" -e "s#hc-loop -i 1 -t 3s #hc-loop -i 1 -t 40s #" \
		"$EXAMPLES/comprehensive/exabgp.conf" >"$LAB_DIR/comprehensive.conf"
	grep -q 'hc-loop -i 1 -t 40s ' "$LAB_DIR/comprehensive.conf"
	lab_exabgp_start 1 "$LAB_DIR/comprehensive.conf"
	wait_until 90 lab_nexthops_are $H1

	# The cache dies: the host withdraws, although web and database are fine.
	kill "$(<"$LAB_DIR/redis.pid")"
	wait "$(<"$LAB_DIR/redis.pid")" 2>/dev/null || true
	wait_until 60 lab_nexthops_are
	ip netns exec "$(lab_ns h1)" redis-server --port 6379 --bind 127.0.0.1 --save '' \
		--appendonly no 3>&- >"$LAB_DIR/redis.log" 2>&1 &
	echo "$!" >"$LAB_DIR/redis.pid"
	wait_until 60 lab_nexthops_are $H1

	# So does the database.
	pg_stop db
	wait_until 60 lab_nexthops_are
}
