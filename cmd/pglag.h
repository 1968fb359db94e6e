/*
 * hc-pglag's parts: pglag-conn.c talks to the server through libpq (the
 * target, the connection, the sample, the cancel); pglag-judge.c decides
 * from a plain struct sample and knows no PGconn.
 */
#ifndef HC_PGLAG_H
#define HC_PGLAG_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clock.h"

#define PGLAG_NO_LIMIT (-1)

/* What makes a replica fit to serve reads (the options). */
struct pglag_limits {
	int64_t max_lag;      /* nanoseconds */
	int64_t max_bytes;    /* PGLAG_NO_LIMIT or bytes */
	int64_t max_silence;  /* PGLAG_NO_LIMIT: 3/4 of the replica's wal_receiver_timeout */
	bool allow_primary;
	bool allow_paused;
};

/* One answer to the lag query; -1 stands for an unknown (NULL) number. */
struct sample {
	bool in_recovery;
	bool paused;
	bool can_read_stats;
	bool has_receiver;
	char status[32];       /* the WAL receiver's status, "" without one */
	int64_t silence_ms;
	int64_t lag_bytes;
	int64_t lag_ms;
	int64_t receiver_timeout_ms;
	int64_t took;          /* nanoseconds for the round trip */
};

/* The verdict on one sample. */
struct judgement {
	bool up;
	bool lagging;          /* down for lag alone: worth one re-check */
	char reason[200];
};

/* --- pglag-judge.c --- */

/* Decides up or down from one sample, with the reason. */
void pglag_judge(const struct pglag_limits *l, const struct sample *s, struct judgement *j);

/* The numbers behind a verdict, for -v: "time lag 0.000 s, byte lag 0, ...". */
void pglag_describe(const struct pglag_limits *l, const struct sample *s, char *buf, size_t size);

/* role= lag_s= lag_bytes= silence_s= receiver=: the stream fields (hc-stream(7)). */
void pglag_format_fields(const struct sample *s, char *buf, size_t size);

/* --- pglag-conn.c --- */

/* Exits HC_EXIT_USAGE when conninfo cannot be parsed or holds a password. */
void pglag_check_conninfo(const char *conninfo);

/* One host of the target, as libpq would take it from host= and port=. */
struct pglag_host {
	char *name;   /* a name to look up, an address, a socket directory, or "" */
	char *port;
	bool lookup;  /* a name: looked up at each run, within the run's deadline */
};

/*
 * The hosts libpq will try, from the connection string, the service file,
 * the PG* variables and libpq's defaults.  count is 0 when there is nothing
 * to look up (hostaddr given, sockets only, or lists libpq will reject):
 * libpq then takes the connection string as it is.
 */
struct pglag_target {
	const char *conninfo;  /* NULL: the environment and libpq's defaults alone */
	struct pglag_host *hosts;
	size_t count;
};

/*
 * Reads the target.  PQconndefaults takes a service name from the
 * environment alone, so when the connection string names a service the
 * target is read in a child killed at the deadline, which sets PGSERVICE
 * in its own environment; false when it did not answer in time.
 */
bool pglag_target_load(struct pglag_target *t, const char *conninfo, hc_deadline deadline);
void pglag_target_free(struct pglag_target *t);

/*
 * Connects before the deadline: looks the names up, each in a child killed
 * when its share of the time left is up (the last name has all of it), then
 * libpq's asynchronous API on its socket.  Returns the connection, usable
 * only if PQstatus says CONNECTION_OK (else the reason is in why), or NULL
 * with the reason in why when no address was found.
 */
PGconn *pglag_connect(const struct pglag_target *t, hc_deadline deadline, char *why, size_t size);

/*
 * Runs the lag query once, in one round trip.  A query still running at
 * query_deadline is cancelled before the final deadline.  true with s
 * filled, or false with the reason in why.
 */
bool pglag_sample(PGconn *conn, hc_deadline query_deadline, hc_deadline deadline,
    struct sample *s, char *why, size_t size);

/*
 * "host:port", "[::1]:port", "name:port (address)" or a socket path, for
 * the -v line; "" when there is no connection to name.
 */
void pglag_format_server(PGconn *conn, char *buf, size_t size);

#endif
