/*
 * hc-pglag's connection: the hosts libpq will try, their lookups within the
 * deadline, the connection and the lag query over libpq's asynchronous API,
 * and the cancel of a late query.
 */
#include "config.h"

#include <errno.h>
#include <libpq-fe.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "check.h"
#include "child.h"
#include "hc.h"
#include "io.h"
#include "parse.h"
#include "pglag.h"
#include "resolve.h"

#define LIST_MAX 4096  /* bytes of the effective host= or port= list */

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

void
pglag_check_conninfo(const char *conninfo)
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

/* ---- the target: which hosts libpq will try ---- */

/* The effective host= and port= lists, as the set-up child found them. */
struct effective_lists {
	bool usable;    /* host and port lists found, no hostaddr= */
	char host[LIST_MAX];
	char port[LIST_MAX];
};

/*
 * The effective host= and port= from the connection string (parsed in
 * given), else libpq's defaults (the service file, the PG* variables, the
 * built-in values).
 */
static void
fill_effective_lists(const PQconninfoOption *given, struct effective_lists *r)
{
	memset(r, 0, sizeof *r);
	PQconninfoOption *defaults = PQconndefaults();
	const char *host = option_value(given, "host"), *port = option_value(given, "port");
	if (host == NULL)
		host = option_value(defaults, "host");
	if (port == NULL)
		port = option_value(defaults, "port");
	bool hostaddr = option_value(given, "hostaddr") != NULL ||
	    option_value(defaults, "hostaddr") != NULL;
	r->usable = defaults != NULL && host != NULL && port != NULL && !hostaddr &&
	    strlen(host) < sizeof r->host && strlen(port) < sizeof r->port;
	if (r->usable) {
		memcpy(r->host, host, strlen(host) + 1);
		memcpy(r->port, port, strlen(port) + 1);
	}
	PQconninfoFree(defaults);
}

/*
 * The child (hc_call_bounded) for a connection string that names a
 * service: PQconndefaults takes the service name from PGSERVICE alone, so
 * it is set there, in this child's environment only.
 */
static int
read_service_lists(void *ctx, int fd)
{
	const PQconninfoOption *given = ctx;
	struct effective_lists r;
	setenv("PGSERVICE", option_value(given, "service"), 1);
	fill_effective_lists(given, &r);
	return hc_write_all(fd, &r, sizeof r) == 0 ? 0 : 1;
}

/* The number of entries of a comma-separated list. */
static size_t
list_count(const char *list)
{
	size_t n = 1;
	for (const char *p = list; *p != '\0'; p++)
		n += *p == ',';
	return n;
}

/* The next entry of a comma-separated list, as a new string; advances *list. */
static char *
list_next(const char **list)
{
	size_t len = strcspn(*list, ",");
	char *entry = hc_xmalloc(len + 1);
	memcpy(entry, *list, len);
	entry[len] = '\0';
	*list += len + ((*list)[len] == ',');
	return entry;
}

/* A name that libpq would look up: not empty, not a socket directory, not an address. */
static bool
needs_lookup(const char *host)
{
	struct hc_prefix literal;
	return host[0] != '\0' && host[0] != '/' && host[0] != '@' &&
	    hc_parse_addr(host, &literal) != NULL;
}

bool
pglag_target_load(struct pglag_target *t, const char *conninfo, hc_deadline deadline)
{
	*t = (struct pglag_target){ .conninfo = conninfo };
	struct effective_lists *lists = hc_xmalloc(sizeof *lists);
	PQconninfoOption *given = conninfo != NULL && is_conninfo(conninfo)
	    ? PQconninfoParse(conninfo, NULL) : NULL;
	bool read = true;
	if (option_value(given, "service") != NULL) {
		size_t got;
		read = hc_call_bounded(read_service_lists, given, lists, sizeof *lists, &got,
		    deadline) == HC_CALL_REPLIED && got == sizeof *lists;
	} else {
		fill_effective_lists(given, lists);
	}
	PQconninfoFree(given);
	if (!read) {
		free(lists);
		return false;
	}
	size_t nhosts = 0, nports = 0;
	if (lists->usable) {
		lists->host[sizeof lists->host - 1] = lists->port[sizeof lists->port - 1] = '\0';
		nhosts = list_count(lists->host);
		nports = list_count(lists->port);
	}
	/* Lists of different lengths: libpq refuses them, and says so itself. */
	if (nhosts == 0 || (nports != 1 && nports != nhosts)) {
		free(lists);
		return true;
	}
	t->hosts = hc_xcalloc(nhosts, sizeof t->hosts[0]);
	const char *hosts = lists->host, *ports = lists->port;
	bool any_name = false;
	for (size_t i = 0; i < nhosts; i++) {
		struct pglag_host *h = &t->hosts[t->count++];
		h->name = list_next(&hosts);
		h->port = i == 0 || nports > 1 ? list_next(&ports) : hc_xstrdup(t->hosts[0].port);
		h->lookup = needs_lookup(h->name);
		any_name = any_name || h->lookup;
	}
	free(lists);
	if (!any_name)
		pglag_target_free(t);  /* nothing to look up: libpq takes the string as it is */
	return true;
}

void
pglag_target_free(struct pglag_target *t)
{
	for (size_t i = 0; i < t->count; i++) {
		free(t->hosts[i].name);
		free(t->hosts[i].port);
	}
	free(t->hosts);
	t->hosts = NULL;
	t->count = 0;
}

/* The host=, hostaddr= and port= lists handed to libpq: one entry per address. */
struct libpq_lists {
	char *host, *hostaddr, *port;
	size_t host_len, hostaddr_len, port_len;
	size_t entries;
};

/* Appends ",s" (or s first) to buf; the caller sized buf for every entry. */
static void
list_add(char *buf, size_t *len, const char *s)
{
	if (*len > 0)
		buf[(*len)++] = ',';
	size_t n = strlen(s);
	memcpy(buf + *len, s, n + 1);
	*len += n;
}

static void
lists_add(struct libpq_lists *l, const char *host, const char *hostaddr, const char *port)
{
	list_add(l->host, &l->host_len, host);
	list_add(l->hostaddr, &l->hostaddr_len, hostaddr);
	list_add(l->port, &l->port_len, port);
	l->entries++;
}

/*
 * Looks up every name of t, sharing the deadline as hc-tcp shares it
 * between addresses: each lookup gets the time left divided by the names
 * left, the last one all of it, so a lookup that hangs cannot starve the
 * hosts after it.  Fills l with one entry per address (the name stays as
 * host=, for TLS and the password file); false with the reason in why when
 * no address at all was found.
 */
static bool
look_up_hosts(const struct pglag_target *t, hc_deadline deadline, struct libpq_lists *l,
    char *why, size_t size)
{
	size_t names = 0, host_cap = 1, port_cap = 1;
	for (size_t i = 0; i < t->count; i++) {
		names += t->hosts[i].lookup;
		host_cap += HC_RESOLVE_MAX * (strlen(t->hosts[i].name) + 1);
		port_cap += HC_RESOLVE_MAX * (strlen(t->hosts[i].port) + 1);
	}
	*l = (struct libpq_lists){ .host = hc_xmalloc(host_cap),
		.hostaddr = hc_xmalloc(t->count * HC_RESOLVE_MAX * (NI_MAXHOST + 1) + 1),
		.port = hc_xmalloc(port_cap) };
	l->host[0] = l->hostaddr[0] = l->port[0] = '\0';
	for (size_t i = 0; i < t->count; i++) {
		const struct pglag_host *h = &t->hosts[i];
		if (!h->lookup) {
			lists_add(l, h->name, "", h->port);  /* a socket or an address: no lookup */
			continue;
		}
		int64_t share = hc_deadline_left(deadline) / (int64_t)names;
		hc_deadline attempt = names > 1 ? hc_deadline_in(share) : deadline;
		names--;
		struct hc_sockaddr addrs[HC_RESOLVE_MAX];
		const char *failed = NULL;
		size_t n = hc_resolve(h->name, 0, AF_UNSPEC, attempt, addrs, HC_RESOLVE_MAX, &failed);
		if (n == 0)
			hc_reasonf(why, size, "cannot resolve '%s': %s", h->name, failed);
		for (size_t j = 0; j < n; j++) {
			char addr[NI_MAXHOST];
			if (getnameinfo((const struct sockaddr *)&addrs[j].sa, addrs[j].len, addr,
			    sizeof addr, NULL, 0, NI_NUMERICHOST) == 0)
				lists_add(l, h->name, addr, h->port);
		}
	}
	if (l->entries == 0)
		return false;
	why[0] = '\0';  /* another host is left to try */
	return true;
}

/* ---- the connection ---- */

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
 * libpq's asynchronous API, polling its socket until the deadline
 * (connect_timeout alone would allow whole seconds per host and not bound
 * a server that accepts but never answers).
 */
PGconn *
pglag_connect(const struct pglag_target *t, hc_deadline deadline, char *why, size_t size)
{
	struct libpq_lists l = { NULL, NULL, NULL, 0, 0, 0, 0 };
	if (t->count > 0 && !look_up_hosts(t, deadline, &l, why, size)) {
		free(l.host);
		free(l.hostaddr);
		free(l.port);
		return NULL;
	}
	const char *keys[8], *values[8];
	size_t n = 0;
	if (t->conninfo != NULL) {
		keys[n] = "dbname";
		values[n++] = t->conninfo;
	}
	if (l.entries > 0) {
		keys[n] = "host";
		values[n++] = l.host;
		keys[n] = "hostaddr";
		values[n++] = l.hostaddr;
		keys[n] = "port";
		values[n++] = l.port;
	}
	keys[n] = "fallback_application_name";
	values[n++] = hc_progname;
	keys[n] = NULL;
	values[n] = NULL;
	PGconn *conn = PQconnectStartParams(keys, values, 1);
	free(l.host);
	free(l.hostaddr);
	free(l.port);
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
			hc_reasonf(why, size, "no answer before the deadline: %s",
			    connect_stage(PQstatus(conn)));
			return conn;
		}
		if (r < 0 && errno != EINTR)
			hc_die(HC_EXIT_FAILURE, "poll");
		poll_status = PQconnectPoll(conn);
	}
	if (PQstatus(conn) != CONNECTION_OK) {
		char msg[HC_VERDICT_REASON_MAX];
		one_line(PQerrorMessage(conn), msg, sizeof msg);
		hc_reasonf(why, size, "cannot connect: %s", msg[0] != '\0' ? msg : "unknown error");
	} else if (PQsetnonblocking(conn, 1) != 0) {
		hc_diex(HC_EXIT_FAILURE, "cannot make the connection non-blocking");
	}
	return conn;
}

/* ---- the cancel of a late query ---- */

/* The cancel child (hc_call_bounded): "+" once delivered, else "-" and libpq's message. */
static int
send_cancel(void *ctx, int fd)
{
	char reply[256] = "+";
	if (!PQcancel(ctx, reply + 1, sizeof reply - 1))
		reply[0] = '-';
	return hc_write_all(fd, reply, strlen(reply)) == 0 ? 0 : 1;
}

/*
 * Asks the server to cancel the query running on conn.  PQcancel blocks (it
 * connects, then reads until the server closes), so it runs in a child
 * killed at the deadline.  Returns NULL once the request was delivered,
 * else why not (in why, or a static string).
 */
static const char *
cancel_query(PGconn *conn, hc_deadline deadline, char *why, size_t size)
{
	PGcancel *cancel = PQgetCancel(conn);
	if (cancel == NULL)
		return "no cancel key";
	char reply[256];
	size_t got;
	enum hc_call_end end = hc_call_bounded(send_cancel, cancel, reply, sizeof reply - 1, &got,
	    deadline);
	PQfreeCancel(cancel);
	reply[got] = '\0';
	switch (end) {
	case HC_CALL_FAILED:
		return "cannot fork";
	case HC_CALL_LATE:
		return "the server did not take the cancel request before the deadline";
	case HC_CALL_DIED:
		return "the cancel request failed";
	case HC_CALL_REPLIED:
		break;
	}
	if (reply[0] == '+')
		return NULL;
	snprintf(why, size, "%.*s", (int)strcspn(reply + 1, "\n"), reply[0] == '-' ? reply + 1 : "");
	return why;
}

/* ---- the lag query ---- */

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
wait_result(PGconn *conn, hc_deadline deadline, bool *late, char *why, size_t size)
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
			char msg[HC_VERDICT_REASON_MAX];
			one_line(PQerrorMessage(conn), msg, sizeof msg);
			hc_reasonf(why, size, "connection lost: %s", msg);
			return false;
		}
	}
}

/* "query failed: MESSAGE (SQLSTATE X)" from an error result. */
static void
explain_error(const PGresult *res, char *why, size_t size)
{
	const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	const char *sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	char msg[HC_VERDICT_REASON_MAX];
	one_line(primary != NULL ? primary : PQresultErrorMessage(res), msg, sizeof msg);
	if (sqlstate != NULL)
		hc_reasonf(why, size, "query failed: %s (SQLSTATE %s)", msg, sqlstate);
	else
		hc_reasonf(why, size, "query failed: %s", msg);
}

bool
pglag_sample(PGconn *conn, hc_deadline query_deadline, hc_deadline deadline, struct sample *s,
    char *why, size_t size)
{
	int64_t start = hc_now();
	why[0] = '\0';
	if (!PQsendQuery(conn, LAG_QUERY)) {
		char msg[HC_VERDICT_REASON_MAX];
		one_line(PQerrorMessage(conn), msg, sizeof msg);
		hc_reasonf(why, size, "cannot send the query: %s", msg);
		return false;
	}
	PGresult *first = NULL;
	bool late = false;
	for (;;) {
		if (!wait_result(conn, query_deadline, &late, why, size))
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
		const char *not_cancelled = cancel_query(conn, deadline, buf, sizeof buf);
		hc_reasonf(why, size, "the query got no answer before the deadline (%s%s)",
		    not_cancelled == NULL ? "cancelled" : "not cancelled: ",
		    not_cancelled == NULL ? "" : not_cancelled);
		PQclear(first);
		return false;
	}
	if (first == NULL) {
		if (why[0] == '\0')
			hc_reasonf(why, size, "%s", "the query returned no result");
		return false;
	}
	bool ok = false;
	if (PQresultStatus(first) != PGRES_TUPLES_OK)
		explain_error(first, why, size);
	else if (!(ok = read_sample(first, s)))
		hc_reasonf(why, size, "%s", "unexpected answer to the query");
	PQclear(first);
	s->took = hc_now() - start;
	return ok;
}

void
pglag_format_server(PGconn *conn, char *buf, size_t size)
{
	const char *host = conn != NULL ? PQhost(conn) : NULL;
	const char *port = conn != NULL ? PQport(conn) : NULL;
	const char *addr = conn != NULL ? PQhostaddr(conn) : NULL;
	buf[0] = '\0';
	if (host == NULL || host[0] == '\0')
		return;
	if (host[0] == '/' || host[0] == '@') {
		snprintf(buf, size, "%s/.s.PGSQL.%s", host, port != NULL ? port : "");
		return;
	}
	bool v6 = strchr(host, ':') != NULL;
	bool named = addr != NULL && addr[0] != '\0' && strcmp(addr, host) != 0;
	snprintf(buf, size, "%s%s%s:%s%s%s%s", v6 ? "[" : "", host, v6 ? "]" : "",
	    port != NULL ? port : "", named ? " (" : "", named ? addr : "", named ? ")" : "");
}
