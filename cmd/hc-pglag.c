/*
 * hc-pglag: is this PostgreSQL server a streaming replica fit to serve reads?
 *
 * Exit 0 when the server is in recovery, its WAL receiver is streaming and has
 * heard from the primary within the silence limit, replay is not paused and
 * the replication lag is under the limits.  One deadline covers name
 * resolution, the connection, the query (cancelled when late) and the one
 * re-check made before reporting lag.
 */
#include "config.h"

#include <argp.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "clock.h"
#include "hc.h"
#include "io.h"
#include "parse.h"
#include "resolve.h"

#define RECHECK_DELAY      (200 * HC_NS_PER_MS)  /* before re-checking a lagging sample */
#define CANCEL_RESERVE_MAX (100 * HC_NS_PER_MS)  /* kept at the end to cancel a late query */
#define NO_LIMIT           (-1)

struct options {
	int64_t timeout;
	int64_t max_lag;      /* nanoseconds */
	int64_t max_bytes;    /* NO_LIMIT or bytes */
	int64_t max_silence;  /* NO_LIMIT: 3/4 of the replica's wal_receiver_timeout */
	bool allow_primary;
	bool allow_paused;
	bool fields;
	bool verbose;
	const char *conninfo; /* NULL: the environment and libpq's defaults alone */
};

enum {
	OPT_ALLOW_PAUSED = 0x100,
	OPT_ALLOW_PRIMARY,
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
	{ "max-bytes", OPT_MAX_BYTES, "SIZE", 0, "Down when more WAL than SIZE is not replayed (no limit)", 0 },
	{ "max-lag", OPT_MAX_LAG, "DURATION", 0, "Down when replay lags by more than DURATION (10s)", 0 },
	{ "max-silence", OPT_MAX_SILENCE, "DURATION", 0,
	  "Down when nothing came from the primary for DURATION (3/4 of wal_receiver_timeout)", 0 },
	{ "timeout", 't', "DURATION", 0, "Deadline for the whole check (default 2s)", 0 },
	{ "verbose", 'v', NULL, 0, "Say on stderr why the check is up or down, with the numbers", 0 },
	{ 0 }
};

/* The libpq rule: a URI, or a string with '=' in it, is a connection string. */
static bool
is_conninfo(const char *s)
{
	return strncmp(s, "postgresql://", 13) == 0 || strncmp(s, "postgres://", 11) == 0 ||
	    strchr(s, '=') != NULL;
}

/* The value of keyword in a libpq option array, or NULL when unset or empty. */
static const char *
option_value(const PQconninfoOption *opts, const char *keyword)
{
	for (const PQconninfoOption *o = opts; o != NULL && o->keyword != NULL; o++) {
		if (strcmp(o->keyword, keyword) == 0)
			return o->val != NULL && o->val[0] != '\0' ? o->val : NULL;
	}
	return NULL;
}

/* Rejects a connection string that libpq cannot parse or that holds a password. */
static void
check_conninfo(const char *conninfo)
{
	if (!is_conninfo(conninfo))
		return;
	char *err = NULL;
	PQconninfoOption *opts = PQconninfoParse(conninfo, &err);
	if (opts == NULL) {
		if (err == NULL)
			hc_diex(HC_EXIT_FAILURE, "out of memory");
		err[strcspn(err, "\n")] = '\0';
		hc_diex(HC_EXIT_USAGE, "invalid conninfo: %s", err);
	}
	bool has_password = option_value(opts, "password") != NULL;
	PQconninfoFree(opts);
	if (has_password)
		hc_diex(HC_EXIT_USAGE, "invalid conninfo: it holds a password, which any user "
		    "could read with ps(1); use a password file (PGPASSFILE, ~/.pgpass)");
}

static error_t
parse_option(int key, char *arg, struct argp_state *state)
{
	struct options *o = state->input;
	const char *why;
	uint64_t size;
	switch (key) {
	case OPT_ALLOW_PAUSED:
		o->allow_paused = true;
		break;
	case OPT_ALLOW_PRIMARY:
		o->allow_primary = true;
		break;
	case 'f':
		o->fields = true;
		break;
	case OPT_MAX_BYTES:
		if ((why = hc_parse_size(arg, 0, INT64_MAX, &size)))
			hc_diex(HC_EXIT_USAGE, "invalid --max-bytes '%s': %s", arg, why);
		o->max_bytes = (int64_t)size;
		break;
	case OPT_MAX_LAG:
		if ((why = hc_parse_duration(arg, 0, 24 * 3600 * HC_NS_PER_S, &o->max_lag)))
			hc_diex(HC_EXIT_USAGE, "invalid --max-lag '%s': %s", arg, why);
		break;
	case OPT_MAX_SILENCE:
		if ((why = hc_parse_duration(arg, HC_NS_PER_MS, 24 * 3600 * HC_NS_PER_S,
		    &o->max_silence)))
			hc_diex(HC_EXIT_USAGE, "invalid --max-silence '%s': %s", arg, why);
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
		o->conninfo = arg;
		check_conninfo(arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

struct verdict {
	bool up;
	bool lagging;      /* down for lag alone: worth one re-check */
	bool rechecked;
	char reason[300];
};

/*
 * libpq's multi-line message as one line: lines joined by "; ", runs of
 * spaces squeezed, tab-indented hint lines dropped, and the "connection to
 * server at ... failed: " preamble dropped (the -v line names the server).
 */
static void
one_line(const char *msg, char *out, size_t size)
{
	const char *failed = strstr(msg, "failed: ");
	if (strncmp(msg, "connection to server ", 21) == 0 && failed != NULL &&
	    failed < msg + strcspn(msg, "\n"))
		msg = failed + 8;
	size_t n = 0;
	bool skip_line = false;
	for (const char *p = msg; *p != '\0' && n + 3 < size; p++) {
		if (*p == '\n') {
			skip_line = p[1] == '\t';
			if (!skip_line && p[1] != '\0' && n > 0) {
				out[n++] = ';';
				out[n++] = ' ';
			}
			continue;
		}
		if (skip_line)
			continue;
		if ((*p == ' ' || *p == '\t') && (n == 0 || out[n - 1] == ' '))
			continue;
		out[n++] = *p == '\t' ? ' ' : *p;
	}
	while (n > 0 && (out[n - 1] == ' ' || out[n - 1] == ';'))
		n--;
	out[n] = '\0';
}

/* The host, hostaddr and port lists libpq will use, once pre-resolved. */
struct target {
	char *host;
	char *hostaddr;
	char *port;
};

/*
 * The effective value of keyword: the connection string first, then the
 * service file, the environment and libpq's defaults (defaults already holds
 * the last three).  NULL when unset.
 */
static const char *
effective(const PQconninfoOption *given, const PQconninfoOption *defaults, const char *keyword)
{
	const char *v = option_value(given, keyword);
	return v != NULL ? v : option_value(defaults, keyword);
}

/*
 * libpq's defaults: the service file entry (named by service, else by
 * PGSERVICE), then the PG* variables, then the built-in defaults.
 */
static PQconninfoOption *
defaults_for(const char *service)
{
	/* PQconndefaults reads the service name from PGSERVICE only. */
	char *saved = getenv("PGSERVICE") != NULL ? hc_xstrdup(getenv("PGSERVICE")) : NULL;
	if (service != NULL)
		setenv("PGSERVICE", service, 1);
	PQconninfoOption *defaults = PQconndefaults();
	if (service != NULL && saved != NULL)
		setenv("PGSERVICE", saved, 1);
	else if (service != NULL)
		unsetenv("PGSERVICE");
	free(saved);
	if (defaults == NULL)
		hc_diex(HC_EXIT_FAILURE, "out of memory");
	return defaults;
}

/* Three parallel comma-separated lists being written: host, hostaddr, port. */
struct lists {
	FILE *host, *hostaddr, *port;
	size_t count;
};

static void
lists_add(struct lists *l, const char *host, const char *hostaddr, const char *port)
{
	const char *sep = l->count > 0 ? "," : "";
	fprintf(l->host, "%s%s", sep, host);
	fprintf(l->hostaddr, "%s%s", sep, hostaddr);
	fprintf(l->port, "%s%s", sep, port);
	l->count++;
}

/* The next entry of a comma-separated list into buf; advances *list. */
static void
list_next(const char **list, char *buf, size_t size)
{
	size_t len = strcspn(*list, ",");
	snprintf(buf, size, "%.*s", (int)len, *list);
	*list += len + ((*list)[len] == ',');
}

/*
 * Resolves the host names libpq would resolve itself, so that the lookups
 * honour the deadline: libpq calls getaddrinfo() synchronously inside
 * PQconnectStart and PQconnectPoll.  Each name becomes one host entry per
 * address, with the address as hostaddr (libpq still uses the name for TLS
 * verification and the password file).  Leaves t empty when there is no
 * name to resolve; returns false with the reason in v when no address is left.
 */
static bool
pre_resolve(const char *conninfo, hc_deadline deadline, struct target *t, struct verdict *v)
{
	PQconninfoOption *given = NULL;
	if (conninfo != NULL && is_conninfo(conninfo))
		given = PQconninfoParse(conninfo, NULL);
	PQconninfoOption *defaults = defaults_for(option_value(given, "service"));
	const char *hosts = effective(given, defaults, "host");
	const char *ports = effective(given, defaults, "port");
	size_t nhosts = 1, nports = 1;
	for (const char *p = hosts; p != NULL && *p != '\0'; p++)
		nhosts += *p == ',';
	for (const char *p = ports; p != NULL && *p != '\0'; p++)
		nports += *p == ',';
	/* Nothing to do for hostaddr given, the default socket, or lists libpq will reject. */
	if (hosts == NULL || ports == NULL || effective(given, defaults, "hostaddr") != NULL ||
	    (nports != 1 && nports != nhosts)) {
		PQconninfoFree(given);
		PQconninfoFree(defaults);
		return true;
	}

	size_t sizes[3], names = 0;
	struct lists l = {
		open_memstream(&t->host, &sizes[0]),
		open_memstream(&t->hostaddr, &sizes[1]),
		open_memstream(&t->port, &sizes[2]),
		0,
	};
	if (l.host == NULL || l.hostaddr == NULL || l.port == NULL)
		hc_die(HC_EXIT_FAILURE, "open_memstream");
	char port[32] = "";
	for (size_t i = 0; i < nhosts; i++) {
		char host[256];
		list_next(&hosts, host, sizeof host);
		if (i == 0 || nports > 1)
			list_next(&ports, port, sizeof port);
		struct hc_prefix literal;
		if (host[0] == '\0' || host[0] == '/' || host[0] == '@' ||
		    hc_parse_addr(host, &literal) == NULL) {
			lists_add(&l, host, "", port);  /* a socket or an address: no lookup */
			continue;
		}
		names++;
		struct hc_sockaddr addrs[HC_RESOLVE_MAX];
		const char *why = NULL;
		size_t n = hc_resolve(host, 0, AF_UNSPEC, deadline, addrs, HC_RESOLVE_MAX, &why);
		if (n == 0)
			hc_reason(v->reason, "cannot resolve '%s': %s", host, why);
		for (size_t j = 0; j < n; j++) {
			char addr[NI_MAXHOST];
			if (getnameinfo((const struct sockaddr *)&addrs[j].sa, addrs[j].len, addr,
			    sizeof addr, NULL, 0, NI_NUMERICHOST) == 0)
				lists_add(&l, host, addr, port);
		}
	}
	if (fclose(l.host) != 0 || fclose(l.hostaddr) != 0 || fclose(l.port) != 0)
		hc_die(HC_EXIT_FAILURE, "open_memstream");
	PQconninfoFree(given);
	PQconninfoFree(defaults);
	if (names == 0 || l.count == 0) {
		free(t->host);
		free(t->hostaddr);
		free(t->port);
		*t = (struct target){ NULL, NULL, NULL };
		return names == 0;
	}
	v->reason[0] = '\0';  /* another host is left to try */
	return true;
}

/* What the -v line says a connection that made no progress was waiting for. */
static const char *
connect_stage(ConnStatusType status)
{
	switch (status) {
	case CONNECTION_STARTED:
		return "the TCP connection did not complete";
	case CONNECTION_MADE:
	case CONNECTION_AWAITING_RESPONSE:
	case CONNECTION_SSL_STARTUP:
	case CONNECTION_GSS_STARTUP:
		return "the server accepted the connection but did not answer";
	case CONNECTION_AUTH_OK:
		return "authenticated, but the server did not finish starting the session";
	default:
		return "the server did not finish setting up the session";
	}
}

/*
 * Connects with libpq's asynchronous API, polling its socket until the
 * deadline (connect_timeout alone would allow whole seconds per host and
 * not bound a server that accepts but never answers).  Returns the
 * connection (usable only if PQstatus says CONNECTION_OK, else the reason is
 * in v), or NULL with the reason in v when no address was found.
 */
static PGconn *
connect_db(const struct options *o, hc_deadline deadline, struct verdict *v)
{
	struct target t = { NULL, NULL, NULL };
	if (!pre_resolve(o->conninfo, deadline, &t, v))
		return NULL;
	const char *keys[8], *values[8];
	size_t n = 0;
	if (o->conninfo != NULL) {
		keys[n] = "dbname";
		values[n++] = o->conninfo;
	}
	if (t.host != NULL) {
		keys[n] = "host";
		values[n++] = t.host;
		keys[n] = "hostaddr";
		values[n++] = t.hostaddr;
		keys[n] = "port";
		values[n++] = t.port;
	}
	keys[n] = "fallback_application_name";
	values[n++] = hc_progname;
	keys[n] = NULL;
	values[n] = NULL;

	PGconn *conn = PQconnectStartParams(keys, values, 1);
	free(t.host);
	free(t.hostaddr);
	free(t.port);
	if (conn == NULL)
		hc_diex(HC_EXIT_FAILURE, "out of memory");

	PostgresPollingStatusType poll_status = PGRES_POLLING_WRITING;
	while (PQstatus(conn) != CONNECTION_BAD && poll_status != PGRES_POLLING_OK &&
	    poll_status != PGRES_POLLING_FAILED) {
		struct pollfd pfd = {
			.fd = PQsocket(conn),
			.events = poll_status == PGRES_POLLING_READING ? POLLIN : POLLOUT,
		};
		int r = hc_poll(&pfd, 1, deadline);
		if (r == 0) {
			hc_reason(v->reason, "no answer before the deadline: %s", connect_stage(PQstatus(conn)));
			return conn;
		}
		if (r < 0 && errno != EINTR)
			hc_die(HC_EXIT_FAILURE, "poll");
		poll_status = PQconnectPoll(conn);
	}
	if (PQstatus(conn) != CONNECTION_OK) {
		char msg[sizeof v->reason - 20];
		one_line(PQerrorMessage(conn), msg, sizeof msg);
		hc_reason(v->reason, "cannot connect: %s", msg[0] != '\0' ? msg : "unknown error");
	} else if (PQsetnonblocking(conn, 1) != 0) {
		hc_diex(HC_EXIT_FAILURE, "cannot make the connection non-blocking");
	}
	return conn;
}

/*
 * Asks the server to cancel the query running on conn.  PQcancel blocks (it
 * connects, then reads until the server closes), so it runs in a child
 * process killed at the deadline, which reports "+" when the request was
 * delivered or "-" and libpq's message.  Returns NULL once the request was
 * delivered, else why not (in why, or a static string).
 */
static const char *
cancel_query(PGconn *conn, hc_deadline deadline, char *why, size_t size)
{
	PGcancel *cancel = PQgetCancel(conn);
	if (cancel == NULL)
		return "no cancel key";
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) == -1) {
		PQfreeCancel(cancel);
		return "cannot create a pipe";
	}
	pid_t pid = fork();
	if (pid == 0) {
		char reply[256] = "+";
		close(fds[0]);
		if (!PQcancel(cancel, reply + 1, sizeof reply - 1))
			reply[0] = '-';
		_exit(hc_write_all(fds[1], reply, strlen(reply)) == 0 ? 0 : 1);
	}
	close(fds[1]);
	PQfreeCancel(cancel);
	if (pid == -1) {
		close(fds[0]);
		return "cannot fork";
	}
	char reply[256];
	size_t got = 0;
	bool eof = false;
	while (!eof && got < sizeof reply - 1) {
		struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
		int r = hc_poll(&pfd, 1, deadline);
		if (r == 0 || (r < 0 && errno != EINTR))
			break;
		ssize_t n = r > 0 ? read(fds[0], reply + got, sizeof reply - 1 - got) : 0;
		if (n > 0)
			got += (size_t)n;
		else if (r > 0 && (n == 0 || errno != EINTR))
			eof = true;
	}
	close(fds[0]);
	if (!eof)
		kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
		;
	reply[got] = '\0';
	if (reply[0] == '+')
		return NULL;
	if (reply[0] != '-')
		return "the server did not take the cancel request before the deadline";
	snprintf(why, size, "%.*s", (int)strcspn(reply + 1, "\n"), reply + 1);
	return why;
}

/*
 * One round trip: everything is computed by the server, from one snapshot of
 * its state, following the measured rules in NOTES.md:
 *  - the byte lag is the WAL the primary is known to have (the larger of what
 *    was received and the primary's last reported end) minus what was
 *    replayed;
 *  - the time lag is 0 when everything known was replayed, else the age of
 *    the last replayed transaction (now() - pg_last_xact_replay_timestamp()
 *    alone grows without bound on an idle primary);
 *  - silence is the time since the WAL receiver last heard from the primary,
 *    which an idle primary refreshes every wal_receiver_timeout / 2;
 *  - pg_is_wal_replay_paused() raises an error on a primary: asked only in
 *    recovery.
 * Numbers are floored at 0 by read_sample (a NULL must stay unknown, and SQL's
 * GREATEST(0, NULL) is 0).
 */
static const char LAG_QUERY[] =
    "WITH s AS (SELECT pg_is_in_recovery() AS in_recovery,"
    " pg_last_wal_receive_lsn() AS received, pg_last_wal_replay_lsn() AS replayed,"
    " pg_last_xact_replay_timestamp() AS replayed_at)"
    " SELECT s.in_recovery,"
    " CASE WHEN s.in_recovery THEN pg_is_wal_replay_paused() END,"
    " pg_has_role('pg_read_all_stats', 'USAGE'),"
    " w.pid IS NOT NULL,"
    " w.status,"
    " (extract(epoch FROM now() - w.last_msg_receipt_time) * 1000)::bigint,"
    " pg_wal_lsn_diff(GREATEST(s.received, w.latest_end_lsn), s.replayed)::bigint,"
    " CASE WHEN s.replayed >= GREATEST(s.received, w.latest_end_lsn) THEN 0"
    " ELSE (extract(epoch FROM now() - s.replayed_at) * 1000)::bigint END,"
    " (SELECT setting::bigint FROM pg_settings WHERE name = 'wal_receiver_timeout')"
    " FROM s LEFT JOIN pg_stat_wal_receiver AS w ON true";

enum { COL_RECOVERY, COL_PAUSED, COL_STATS, COL_RECEIVER, COL_STATUS, COL_SILENCE,
	COL_LAG_BYTES, COL_LAG_MS, COL_RECEIVER_TIMEOUT, NCOLS };

/* One answer to LAG_QUERY; -1 stands for an unknown (NULL) number. */
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

static bool
get_bool(const PGresult *res, int col)
{
	return !PQgetisnull(res, 0, col) && strcmp(PQgetvalue(res, 0, col), "t") == 0;
}

/* A bigint column floored at 0 (clocks and LSNs can step back), or -1 for NULL. */
static bool
get_number(const PGresult *res, int col, int64_t *out)
{
	long long n = -1;
	if (!PQgetisnull(res, 0, col) &&
	    hc_parse_int(PQgetvalue(res, 0, col), INT64_MIN, INT64_MAX, &n) != NULL)
		return false;
	*out = PQgetisnull(res, 0, col) ? -1 : n < 0 ? 0 : n;
	return true;
}

/* Fills s from the result of LAG_QUERY.  false if the result has another shape. */
static bool
read_sample(const PGresult *res, struct sample *s)
{
	if (PQntuples(res) != 1 || PQnfields(res) != NCOLS)
		return false;
	s->in_recovery = get_bool(res, COL_RECOVERY);
	s->paused = get_bool(res, COL_PAUSED);
	s->can_read_stats = get_bool(res, COL_STATS);
	s->has_receiver = get_bool(res, COL_RECEIVER);
	snprintf(s->status, sizeof s->status, "%s",
	    PQgetisnull(res, 0, COL_STATUS) ? "" : PQgetvalue(res, 0, COL_STATUS));
	return get_number(res, COL_SILENCE, &s->silence_ms) &&
	    get_number(res, COL_LAG_BYTES, &s->lag_bytes) &&
	    get_number(res, COL_LAG_MS, &s->lag_ms) &&
	    get_number(res, COL_RECEIVER_TIMEOUT, &s->receiver_timeout_ms);
}

/* Waits until libpq has sent the query and holds a whole result, or the deadline. */
static bool
wait_result(PGconn *conn, hc_deadline deadline, struct verdict *v, bool *late)
{
	for (;;) {
		int flushed = PQflush(conn);
		if (flushed == 0 && !PQisBusy(conn))
			return true;
		struct pollfd pfd = { .fd = PQsocket(conn),
			.events = (short)(POLLIN | (flushed == 1 ? POLLOUT : 0)) };
		int r = flushed < 0 ? 1 : hc_poll(&pfd, 1, deadline);
		if (r == 0) {
			*late = true;
			return false;
		}
		if (r < 0 && errno != EINTR)
			hc_die(HC_EXIT_FAILURE, "poll");
		if (flushed < 0 || !PQconsumeInput(conn)) {
			char msg[sizeof v->reason - 20];
			one_line(PQerrorMessage(conn), msg, sizeof msg);
			hc_reason(v->reason, "connection lost: %s", msg);
			return false;
		}
	}
}

/*
 * Runs LAG_QUERY once, in one round trip.  A query still running at
 * query_deadline is cancelled before the final deadline.  true with s
 * filled, or false with the reason in v.
 */
static bool
take_sample(PGconn *conn, hc_deadline query_deadline, hc_deadline deadline, struct sample *s,
    struct verdict *v)
{
	int64_t start = hc_now();
	if (!PQsendQuery(conn, LAG_QUERY)) {
		char msg[sizeof v->reason - 30];
		one_line(PQerrorMessage(conn), msg, sizeof msg);
		hc_reason(v->reason, "cannot send the query: %s", msg);
		return false;
	}
	PGresult *first = NULL;
	bool late = false;
	for (;;) {
		if (!wait_result(conn, query_deadline, v, &late))
			break;
		PGresult *res = PQgetResult(conn);
		if (res == NULL)
			break;
		if (first == NULL)
			first = res;
		else
			PQclear(res);
	}
	if (late) {
		char buf[256];
		const char *why = cancel_query(conn, deadline, buf, sizeof buf);
		hc_reason(v->reason, "the query got no answer before the deadline (%s%s)",
		    why == NULL ? "cancelled" : "not cancelled: ", why == NULL ? "" : why);
		PQclear(first);
		return false;
	}
	if (first == NULL) {
		if (v->reason[0] == '\0')
			hc_reason(v->reason, "%s", "the query returned no result");
		return false;
	}
	bool ok = false;
	if (PQresultStatus(first) == PGRES_TUPLES_OK) {
		ok = read_sample(first, s);
		if (!ok)
			hc_reason(v->reason, "%s", "unexpected answer to the query");
	} else {
		const char *primary = PQresultErrorField(first, PG_DIAG_MESSAGE_PRIMARY);
		const char *sqlstate = PQresultErrorField(first, PG_DIAG_SQLSTATE);
		char msg[sizeof v->reason - 40];
		one_line(primary != NULL ? primary : PQresultErrorMessage(first), msg, sizeof msg);
		if (sqlstate != NULL)
			hc_reason(v->reason, "query failed: %s (SQLSTATE %s)", msg, sqlstate);
		else
			hc_reason(v->reason, "query failed: %s", msg);
	}
	PQclear(first);
	s->took = hc_now() - start;
	return ok;
}

/* "12.345 s" from milliseconds. */
static void
format_seconds(int64_t ms, char *buf, size_t size)
{
	snprintf(buf, size, "%" PRId64 ".%03" PRId64 " s", ms / 1000, ms % 1000);
}

/* The silence limit in milliseconds for this sample, or NO_LIMIT. */
static int64_t
silence_limit_ms(const struct options *o, const struct sample *s)
{
	if (o->max_silence != NO_LIMIT)
		return o->max_silence / HC_NS_PER_MS;
	if (s->receiver_timeout_ms > 0)
		return s->receiver_timeout_ms * 3 / 4;
	return NO_LIMIT;  /* wal_receiver_timeout = 0: an idle primary never talks */
}

/* Decides up or down from one sample, with the reason. */
static void
judge(const struct options *o, const struct sample *s, struct verdict *v)
{
	char a[32], b[32];
	*v = (struct verdict){ .rechecked = v->rechecked };
	if (!s->in_recovery) {
		v->up = o->allow_primary;
		hc_reason(v->reason, "%s", o->allow_primary ? "not in recovery (a primary), allowed by --allow-primary"
		    : "not a replica: the server is not in recovery (a primary, or a promoted replica)");
		return;
	}
	if (!s->can_read_stats) {
		hc_reason(v->reason, "%s", "the role cannot read pg_stat_wal_receiver: grant it pg_monitor");
		return;
	}
	if (!s->has_receiver) {
		hc_reason(v->reason, "%s", "no WAL receiver: the replica is not connected to its primary");
		return;
	}
	if (strcmp(s->status, "streaming") != 0) {
		hc_reason(v->reason, "the WAL receiver is %s, not streaming", s->status);
		return;
	}
	int64_t limit = silence_limit_ms(o, s);
	if (limit != NO_LIMIT && (s->silence_ms < 0 || s->silence_ms > limit)) {
		format_seconds(s->silence_ms, a, sizeof a);
		format_seconds(limit, b, sizeof b);
		hc_reason(v->reason, "nothing received from the primary for %s (limit %s)",
		    s->silence_ms < 0 ? "an unknown time" : a, b);
		return;
	}
	if (s->paused && !o->allow_paused) {
		hc_reason(v->reason, "%s", "WAL replay is paused");
		return;
	}
	v->lagging = true;
	if (s->lag_ms < 0) {
		hc_reason(v->reason, "%s", "time lag unknown: WAL is waiting and no transaction was replayed yet");
		return;
	}
	if (s->lag_ms > o->max_lag / HC_NS_PER_MS) {
		format_seconds(s->lag_ms, a, sizeof a);
		format_seconds(o->max_lag / HC_NS_PER_MS, b, sizeof b);
		hc_reason(v->reason, "time lag %s over --max-lag %s", a, b);
		return;
	}
	if (o->max_bytes != NO_LIMIT && (s->lag_bytes < 0 || s->lag_bytes > o->max_bytes)) {
		hc_reason(v->reason, "byte lag %" PRId64 " over --max-bytes %" PRId64, s->lag_bytes, o->max_bytes);
		return;
	}
	v->lagging = false;
	v->up = true;
	hc_reason(v->reason, "%s", s->paused ? "replay paused, allowed by --allow-paused" : "streaming replica");
}

/* The numbers behind a verdict, for -v: "time lag 0.000 s, byte lag 0, ...". */
static void
describe(const struct options *o, const struct sample *s, char *buf, size_t size)
{
	char lag[32] = "unknown", silence[32] = "unknown", limit[40] = "not checked";
	if (!s->in_recovery) {
		snprintf(buf, size, "%s", "role primary");
		return;
	}
	if (s->lag_ms >= 0)
		format_seconds(s->lag_ms, lag, sizeof lag);
	if (s->silence_ms >= 0)
		format_seconds(s->silence_ms, silence, sizeof silence);
	int64_t limit_ms = silence_limit_ms(o, s);
	if (limit_ms != NO_LIMIT) {
		char l[32];
		format_seconds(limit_ms, l, sizeof l);
		snprintf(limit, sizeof limit, "limit %s", l);
	}
	char bytes[24] = "unknown";
	if (s->lag_bytes >= 0)
		snprintf(bytes, sizeof bytes, "%" PRId64, s->lag_bytes);
	snprintf(buf, size, "time lag %s, byte lag %s, receiver %s, silence %s (%s)%s", lag, bytes,
	    s->has_receiver ? (s->status[0] != '\0' ? s->status : "hidden") : "none",
	    s->has_receiver ? silence : "none", limit, s->paused ? ", replay paused" : "");
}

/* role= lag_s= lag_bytes= silence_s= receiver=: the stream fields (hc-stream(7)). */
static void
format_fields(const struct sample *s, char *buf, size_t size)
{
	size_t n = (size_t)snprintf(buf, size, "role=%s", s->in_recovery ? "replica" : "primary");
	if (!s->in_recovery)
		return;
	if (s->lag_ms >= 0 && n < size)
		n += (size_t)snprintf(buf + n, size - n, " lag_s=%" PRId64 ".%03" PRId64,
		    s->lag_ms / 1000, s->lag_ms % 1000);
	if (s->lag_bytes >= 0 && n < size)
		n += (size_t)snprintf(buf + n, size - n, " lag_bytes=%" PRId64, s->lag_bytes);
	if (s->has_receiver && s->silence_ms >= 0 && n < size)
		n += (size_t)snprintf(buf + n, size - n, " silence_s=%" PRId64 ".%03" PRId64,
		    s->silence_ms / 1000, s->silence_ms % 1000);
	if (s->has_receiver && s->status[0] != '\0' && n < size)
		snprintf(buf + n, size - n, " receiver=%s", s->status);
}

/*
 * "host:port ", "[::1]:port ", "name:port (address) " or a socket path and a
 * space, for -v; "" when there is no connection to name.
 */
static void
format_server(PGconn *conn, char *buf, size_t size)
{
	const char *host = conn != NULL ? PQhost(conn) : NULL;
	const char *port = conn != NULL ? PQport(conn) : NULL;
	const char *addr = conn != NULL ? PQhostaddr(conn) : NULL;
	buf[0] = '\0';
	if (host == NULL || host[0] == '\0')
		return;
	if (host[0] == '/' || host[0] == '@') {
		snprintf(buf, size, "%s/.s.PGSQL.%s ", host, port != NULL ? port : "");
		return;
	}
	bool v6 = strchr(host, ':') != NULL;
	bool named = addr != NULL && addr[0] != '\0' && strcmp(addr, host) != 0;
	snprintf(buf, size, "%s%s%s:%s%s%s%s ", v6 ? "[" : "", host, v6 ? "]" : "",
	    port != NULL ? port : "", named ? " (" : "", named ? addr : "", named ? ")" : "");
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
		.max_lag = 10 * HC_NS_PER_S,
		.max_bytes = NO_LIMIT,
		.max_silence = NO_LIMIT,
	};

	hc_init(argv[0]);
	hc_ensure_std_fds();
	argv[0] = (char *)hc_progname;
	argp_parse(&argp, argc, argv, 0, NULL, &o);
	signal(SIGPIPE, SIG_IGN);

	int64_t start = hc_now();
	hc_deadline deadline = hc_deadline_in(o.timeout);
	int64_t reserve = o.timeout / 10 < CANCEL_RESERVE_MAX ? o.timeout / 10 : CANCEL_RESERVE_MAX;
	hc_deadline query_deadline = { deadline.at - reserve };

	struct verdict v = { .up = false };
	struct sample s;
	bool sampled = false;
	PGconn *conn = connect_db(&o, deadline, &v);
	if (conn != NULL && PQstatus(conn) == CONNECTION_OK) {
		sampled = take_sample(conn, query_deadline, deadline, &s, &v);
		if (sampled)
			judge(&o, &s, &v);
		/* A lone sample right after a write on an idle primary can count the idle time as lag. */
		if (sampled && v.lagging &&
		    hc_deadline_left(query_deadline) > RECHECK_DELAY + 2 * s.took + 20 * HC_NS_PER_MS) {
			hc_poll(NULL, 0, hc_deadline_in(RECHECK_DELAY));
			v = (struct verdict){ .rechecked = true };
			sampled = take_sample(conn, query_deadline, deadline, &s, &v);
			if (sampled)
				judge(&o, &s, &v);
		}
	}

	int status = v.up ? HC_EXIT_UP : HC_EXIT_DOWN;
	if (o.fields && sampled) {
		char line[256];
		format_fields(&s, line, sizeof line);
		if (hc_write_line(STDOUT_FILENO, line) == -1) {
			hc_warn("cannot write the fields");
			status = HC_EXIT_FAILURE;
		}
	}
	if (o.verbose) {
		char server[300], took[32], numbers[200] = "";
		format_server(conn, server, sizeof server);
		hc_format_ms(hc_now() - start, took, sizeof took);
		if (sampled)
			describe(&o, &s, numbers, sizeof numbers);
		const char *recheck = v.rechecked ? ", re-checked" : "";
		if (v.up)
			hc_warnx("%sup in %s%s: %s; %s", server, took, recheck, v.reason, numbers);
		else if (sampled)
			hc_warnx("%sdown: %s (after %s%s); %s", server, v.reason, took, recheck, numbers);
		else
			hc_warnx("%sdown: %s (after %s%s)", server, v.reason, took, recheck);
	}
	PQfinish(conn);
	return status;
}
