# Real PostgreSQL clusters for the bats suites: a primary and streaming
# replicas on loopback ports, each in its own data directory under one
# per-file directory.  Start them in setup_file, stop them in teardown_file.
#
#   pg_setup_dir                 creates $PGT, the directory for everything
#   pg_primary NAME [SETTING...] initdb + start a primary; sets port_NAME
#   pg_replica NAME FROM [ARGS]  pg_basebackup -R from FROM + start
#   pg_sql NAME SQL              one statement as the superuser, unaligned
#   pg_stop NAME [MODE]          pg_ctl stop (fast unless MODE)
#   pg_stop_all                  stops every cluster (SIGCONT first), removes $PGT
#
# PostgreSQL refuses to run as root: as root, every server command runs as the
# `postgres` user, in directories it owns.  Binaries come from the newest
# /usr/lib/postgresql/*/bin, never from $PATH.
# shellcheck shell=bash

PG_BIN=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin 2>/dev/null | sort -V | tail -n 1)

# pg_available: skips the test file unless PostgreSQL's server binaries exist.
pg_available() {
	[[ -n $PG_BIN && -x $PG_BIN/initdb && -x $PG_BIN/pg_basebackup ]]
}

# pg_as_owner COMMAND...: runs COMMAND as the user who owns the clusters.
pg_as_owner() {
	if [[ $(id -u) == 0 ]]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# pg_setup_dir: creates $PGT (owned by the cluster user) and a clean libpq
# environment: no PG* variable from the caller leaks into the tests.
pg_setup_dir() {
	local v
	for v in $(compgen -e); do
		[[ $v == PG* ]] && unset "$v"
	done
	PGT=$(mktemp -d "${BATS_TMPDIR:-/tmp}/hc-pglag.XXXXXX")
	chmod 755 "$PGT"
	[[ $(id -u) == 0 ]] && chown postgres: "$PGT"
	mkdir -p "$PGT/sock"
	[[ $(id -u) == 0 ]] && chown postgres: "$PGT/sock"
	export PGT
	export PGSERVICEFILE="$PGT/no-service-file" PGPASSFILE="$PGT/no-pass-file"
}

# pg_conf NAME LINE...: appends settings to NAME's postgresql.conf.
pg_conf() {
	local name=$1
	shift
	printf '%s\n' "$@" | pg_as_owner tee -a "$PGT/$name/postgresql.conf" >/dev/null
}

# pg_start NAME: starts NAME and waits until it accepts connections.  The
# server must not inherit bats's fd 3, or bats would wait for it to exit.
# PostgreSQL cannot bind port 0 and say which port it got, so its port comes
# from free_port, and another process may take that port first: then NAME
# gets another free port (port_NAME changes) and starts again.
pg_start() {
	local name=$1 attempt seen port
	for ((attempt = 1; ; attempt++)); do
		seen=$(wc -l 2>/dev/null <"$PGT/$name.log" || echo 0)
		pg_as_owner "$PG_BIN/pg_ctl" -D "$PGT/$name" -l "$PGT/$name.log" -w -t 60 start \
			>/dev/null 3>&- && return 0
		((attempt < 5)) && tail -n "+$((seen + 1))" "$PGT/$name.log" |
			grep -q 'could not bind .*Address already in use' || return 1
		port=$(free_port)
		echo "pg_start: $name's port was taken; trying port $port" >&2
		pg_conf "$name" "port = $port"
		printf -v "port_$name" '%s' "$port"
		export "port_$name"
	done
}

# pg_pid NAME: the postmaster's PID (first line of postmaster.pid), or nothing.
pg_pid() {
	head -n 1 "$PGT/$1/postmaster.pid" 2>/dev/null || true
}

# pg_primary NAME [SETTING...]: a new primary cluster on a free loopback port,
# with extra postgresql.conf lines (replicas copy them).  Passwords are
# required over TCP (scram-sha-256); the superuser connects over the socket
# in $PGT/sock without one.
pg_primary() {
	local name=$1 port
	shift
	port=$(free_port)
	pg_as_owner "$PG_BIN/initdb" -D "$PGT/$name" -U postgres -A trust -N -E UTF8 \
		--locale=C >"$PGT/$name.initdb.log" 2>&1
	pg_conf "$name" \
		"listen_addresses = '127.0.0.1'" "port = $port" \
		"unix_socket_directories = '$PGT/sock'" \
		"fsync = off" "shared_buffers = 16MB" "max_connections = 30" \
		"max_wal_senders = 8" "wal_level = replica" \
		"cluster_name = '$name'" "$@"
	pg_as_owner tee "$PGT/$name/pg_hba.conf" >/dev/null <<-EOF
		local all all trust
		local replication all trust
		host replication postgres 127.0.0.1/32 trust
		host all all 127.0.0.1/32 scram-sha-256
	EOF
	printf -v "port_$name" '%s' "$port"
	export "port_$name"
	pg_start "$name"
}

# pg_replica NAME FROM [PG_BASEBACKUP ARGS...]: a streaming replica of FROM
# on a free port (pg_basebackup -R over TCP, so it streams like a real one).
pg_replica() {
	local name=$1 from=$2 port from_port
	shift 2
	port=$(free_port)
	from_port="port_$from"
	pg_as_owner "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "${!from_port}" -U postgres \
		-D "$PGT/$name" -R -c fast "$@" >"$PGT/$name.basebackup.log" 2>&1
	pg_conf "$name" "port = $port" "cluster_name = '$name'"
	printf -v "port_$name" '%s' "$port"
	export "port_$name"
}

# pg_is NAME SQL VALUE: SQL's answer on NAME is VALUE (for wait_until).
pg_is() {
	[[ $(pg_sql "$1" "$2") == "$3" ]]
}

# pg_sql NAME SQL: runs SQL as the superuser on NAME; prints the rows unaligned.
pg_sql() {
	local port="port_$1"
	"$PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$PGT/sock" -p "${!port}" \
		-U postgres -d postgres -c "$2"
}

# pg_stop NAME [MODE]: stops NAME (fast shutdown unless MODE), if running.
pg_stop() {
	local pid
	pid=$(pg_pid "$1")
	[[ -n $pid ]] || return 0
	kill -CONT "$pid" 2>/dev/null || true
	pg_as_owner "$PG_BIN/pg_ctl" -D "$PGT/$1" -m "${2:-fast}" -w -t 30 stop >/dev/null 2>&1 ||
		kill -KILL "$pid" 2>/dev/null || true
}

# pg_stop_all: wakes every stopped postgres process of $PGT's clusters, stops
# each cluster (immediate), and removes $PGT.
pg_stop_all() {
	[[ -n ${PGT:-} && -d $PGT ]] || return 0
	local dir name pid
	for dir in "$PGT"/*/; do
		name=$(basename "$dir")
		pid=$(pg_pid "$name")
		[[ -n $pid ]] || continue
		pkill -CONT -P "$pid" 2>/dev/null || true
		kill -CONT "$pid" 2>/dev/null || true
		pg_stop "$name" immediate
	done
	rm -rf "$PGT"
}
