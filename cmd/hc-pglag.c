/*
 * hc-pglag: is this PostgreSQL server a streaming replica fit to serve reads?
 *
 * Exit 0 when the server is in recovery, its WAL receiver is streaming and has
 * heard from the primary within the silence limit, replay is not paused and
 * the replication lag is under the limits.  One deadline covers name
 * resolution, the connection, the query (cancelled when late) and the one
 * re-check made before reporting lag.  Run resident by hc-loop, each run
 * makes a new connection unless --keep-connection asks to keep one.
 */
#include "config.h"

#include <argp.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "clock.h"
#include "hc.h"
#include "opt.h"
#include "parse.h"
#include "pglag.h"

#define RECHECK_DELAY      (200 * HC_NS_PER_MS)  /* before re-checking a lagging sample */
#define CANCEL_RESERVE_MAX (500 * HC_NS_PER_MS)  /* kept at the end to cancel a late query */
#define DAY                (24 * 3600 * HC_NS_PER_S)

struct options {
	int64_t timeout;
	struct pglag_limits limits;
	bool fields;
	bool verbose;
	bool keep_connection;
	const char *conninfo;  /* NULL: the environment and libpq's defaults alone */
};

/* What lives from one run to the next. */
struct state {
	const struct options *o;
	struct pglag_target target;
	bool target_read;
	PGconn *kept;          /* --keep-connection: the last run's healthy connection */
};

enum {
	OPT_ALLOW_PAUSED = 0x100,
	OPT_ALLOW_PRIMARY,
	OPT_KEEP_CONNECTION,
	OPT_MAX_BYTES,
	OPT_MAX_LAG,
	OPT_MAX_SILENCE,
};

static const struct argp_option option_table[] = {
	{ "allow-paused", OPT_ALLOW_PAUSED, NULL, 0,
	  "Count a replica whose replay is paused as up if its lag is under the limits", 0 },
	{ "allow-primary", OPT_ALLOW_PRIMARY, NULL, 0,
	  "Count a server that is not in recovery (a primary) as up", 0 },
	{ "fields", 'f', NULL, 0, "Write role=, lag_s=, lag_bytes=... on standard output", 0 },
	{ "keep-connection", OPT_KEEP_CONNECTION, NULL, 0,
	  "Resident: keep the connection from one run to the next", 0 },
	{ "max-bytes", OPT_MAX_BYTES, "SIZE", 0, "Down when more WAL than SIZE is not replayed (no limit)", 0 },
	{ "max-lag", OPT_MAX_LAG, "DURATION", 0, "Down when replay lags by more than DURATION (10s)", 0 },
	{ "max-silence", OPT_MAX_SILENCE, "DURATION", 0,
	  "Down when nothing came from the primary for DURATION (3/4 of wal_receiver_timeout)", 0 },
	{ "timeout", 't', "DURATION", 0, "Deadline for the whole check (default 2s)", 0 },
	{ "verbose", 'v', NULL, 0, "Say on stderr why the check is up or down, with the numbers", 0 },
	{ 0 }
};

static error_t
parse_option(int key, char *arg, struct argp_state *state)
{
	struct options *o = state->input;
	switch (key) {
	case OPT_ALLOW_PAUSED:
		o->limits.allow_paused = true;
		break;
	case OPT_ALLOW_PRIMARY:
		o->limits.allow_primary = true;
		break;
	case 'f':
		o->fields = true;
		break;
	case OPT_KEEP_CONNECTION:
		o->keep_connection = true;
		break;
	case OPT_MAX_BYTES:
		o->limits.max_bytes = (int64_t)hc_opt_size("--max-bytes", arg, 0, INT64_MAX);
		break;
	case OPT_MAX_LAG:
		o->limits.max_lag = hc_opt_duration("--max-lag", arg, 0, DAY);
		break;
	case OPT_MAX_SILENCE:
		o->limits.max_silence = hc_opt_duration("--max-silence", arg, HC_NS_PER_MS, DAY);
		break;
	case 't':
		o->timeout = hc_parse_timeout(arg);
		break;
	case 'v':
		o->verbose = true;
		break;
	case ARGP_KEY_ARG:
		if (state->arg_num > 0)
			hc_diex(HC_EXIT_USAGE, "unexpected argument '%s' (usage: %s [options] [CONNINFO])",
			    arg, hc_progname);
		pglag_check_conninfo(arg);
		o->conninfo = arg;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* The connection of this run: the kept one, or a new one (NULL: no address found). */
static PGconn *
open_connection(struct state *st, hc_deadline deadline, struct hc_verdict *v)
{
	PGconn *conn = st->kept;
	st->kept = NULL;
	if (conn != NULL)
		return conn;
	if (!st->target_read &&
	    !(st->target_read = pglag_target_load(&st->target, st->o->conninfo, deadline))) {
		hc_reason(v->reason, "%s", "the connection settings could not be read before the deadline");
		return NULL;
	}
	return pglag_connect(&st->target, deadline, v->reason, sizeof v->reason);
}

/* Keeps conn for the next run when asked and when it is idle and healthy; else closes it. */
static void
close_connection(struct state *st, PGconn *conn)
{
	if (st->o->keep_connection && PQstatus(conn) == CONNECTION_OK &&
	    PQtransactionStatus(conn) == PQTRANS_IDLE)
		st->kept = conn;
	else
		PQfinish(conn);
}

/*
 * One run: connect (or take the kept connection), sample, judge, and once
 * more after RECHECK_DELAY when the sample says lagging and the deadline
 * leaves time: a lone sample right after a write on an idle primary can
 * count the idle time as lag.
 */
static void
run_check(void *ctx, struct hc_verdict *v)
{
	struct state *st = ctx;
	const struct options *o = st->o;
	hc_deadline deadline = hc_deadline_in(o->timeout);
	int64_t reserve = o->timeout / 4 < CANCEL_RESERVE_MAX ? o->timeout / 4 : CANCEL_RESERVE_MAX;
	hc_deadline query_deadline = { deadline.at - reserve };

	PGconn *conn = open_connection(st, deadline, v);
	pglag_format_server(conn, v->where, sizeof v->where);
	if (conn == NULL || PQstatus(conn) != CONNECTION_OK) {
		PQfinish(conn);
		return;
	}
	struct sample s;
	struct judgement j;
	bool rechecked = false;
	bool sampled = pglag_sample(conn, query_deadline, deadline, &s, v->reason, sizeof v->reason);
	if (sampled)
		pglag_judge(&o->limits, &s, &j);
	if (sampled && j.lagging &&
	    hc_deadline_left(query_deadline) > RECHECK_DELAY + 2 * s.took + 20 * HC_NS_PER_MS) {
		hc_poll(NULL, 0, hc_deadline_in(RECHECK_DELAY));
		rechecked = true;
		sampled = pglag_sample(conn, query_deadline, deadline, &s, v->reason, sizeof v->reason);
		if (sampled)
			pglag_judge(&o->limits, &s, &j);
	}
	close_connection(st, conn);

	const char *recheck = rechecked ? ", re-checked" : "";
	if (!sampled) {
		char why[sizeof v->reason];
		snprintf(why, sizeof why, "%s", v->reason);
		hc_reason(v->reason, "%s%s", why, recheck);
		return;
	}
	char numbers[200];
	pglag_describe(&o->limits, &s, numbers, sizeof numbers);
	hc_reason(v->reason, "%s%s; %s", j.reason, recheck, numbers);
	v->status = j.up ? HC_EXIT_UP : HC_EXIT_DOWN;
	if (o->fields)
		pglag_format_fields(&s, v->fields, sizeof v->fields);
}

int
main(int argc, char **argv)
{
	/* The text before \v stays under 200 bytes: at 238, glibc 2.36's argp read
	 * uninitialised memory formatting --help (valgrind, scripts/memcheck -s). */
	static const struct argp argp = {
		option_table, parse_option, "[CONNINFO]",
		"Check that a PostgreSQL server is a streaming replica lagging less than the "
		"limits.  CONNINFO: a libpq connection string or URI; the PG* variables, "
		"service and password files apply."
		"\vExit status: 0 up, 1 down, 2 usage error, 3 internal failure.", NULL, NULL, NULL
	};
	struct options o = {
		.timeout = 2 * HC_NS_PER_S,
		.limits = {
			.max_lag = 10 * HC_NS_PER_S,
			.max_bytes = PGLAG_NO_LIMIT,
			.max_silence = PGLAG_NO_LIMIT,
		},
	};

	hc_init(argv[0]);
	argv[0] = (char *)hc_progname;
	argp_parse(&argp, argc, argv, 0, NULL, &o);

	struct state st = { .o = &o };
	int status = hc_check_main(&(struct hc_check){
	    .run = run_check, .ctx = &st, .verbose = o.verbose, .fields = o.fields });
	PQfinish(st.kept);
	pglag_target_free(&st.target);
	return status;
}
