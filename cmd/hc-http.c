/*
 * hc-http: does an HTTP(S) service answer as expected?
 *
 * Exit 0 when one request to URL gets a response whose status, body and
 * certificate meet every condition, before one deadline that covers name
 * resolution, connect, the TLS handshake and the body.  This file is the
 * driver: set up once, then per run a transfer on a new easy handle (a new
 * connection, a new name lookup, TLS verified) whose observations the judge
 * (http-judge.c) turns into the verdict.
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <curl/curl.h>

#include "check.h"
#include "clock.h"
#include "hc.h"
#include "http.h"
#include "parse.h"
#include "resolve.h"

#define BODY_MAX_DEFAULT (1024 * 1024)      /* body bytes read by default */

/* The check, set up once. */
struct http_check {
	struct options o;
	bool own_resolver;       /* libcurl cannot bound a lookup: hc_resolve does it */
	CURL *kept;              /* --keep-alive: the handle whose connection is kept */
	char kept_expire[64];    /* --keep-alive: the kept connection's certificate expiry */
};

/* One run's transfer state. */
struct transfer {
	CURL *h;
	char errbuf[CURL_ERROR_SIZE];
	struct body body;
	struct curl_slist *pins;     /* names hc_resolve looked up, for CURLOPT_RESOLVE */
	bool lookup_refused;         /* a lookup libcurl could not bound was stopped */
	char refused_url[512];
};

/* libcurl's write callback: takes body bytes up to the limit, then ends the transfer. */
static size_t
on_body(char *data, size_t size, size_t nmemb, void *userp)
{
	struct body *b = userp;
	size_t n = size * nmemb;
	size_t take = n < b->limit - b->seen ? n : b->limit - b->seen;
	if (b->keep && take > 0) {
		if (b->len + take > b->cap) {
			size_t cap = b->cap == 0 ? 16384 : b->cap;
			while (cap < b->len + take)
				cap *= 2;
			if (cap > b->limit)
				cap = b->limit;
			char *nb = realloc(b->buf, cap + 1);
			if (nb == NULL)
				hc_diex(HC_EXIT_FAILURE, "out of memory");
			b->buf = nb;
			b->cap = cap;
		}
		memcpy(b->buf + b->len, data, take);
		b->len += take;
		b->buf[b->len] = '\0';
	}
	b->seen += take;
	if (take < n) {
		b->full = true;
		return 0;
	}
	return n;
}

/*
 * With our own resolver, a lookup libcurl starts itself (a redirect to a
 * name not pinned) would block in getaddrinfo past the deadline: it is
 * refused at once and the run is down, naming the URL.
 */
static int
refuse_lookup(void *resolver_state, void *reserved, void *userp)
{
	(void)resolver_state;
	(void)reserved;
	struct transfer *t = userp;
	char *url = NULL;
	(void)curl_easy_getinfo(t->h, CURLINFO_EFFECTIVE_URL, &url);
	snprintf(t->refused_url, sizeof t->refused_url, "%s", url != NULL ? url : "");
	t->lookup_refused = true;
	return 1;
}

/*
 * true when libcurl can stop a name lookup at its timeout and return at
 * once: it resolves asynchronously and, from 7.87.0, CURLOPT_QUICK_EXIT
 * stops it from joining a resolver thread still blocked in getaddrinfo.
 */
static bool
curl_lookup_honours_deadline(void)
{
#if LIBCURL_VERSION_NUM >= 0x075700
	const curl_version_info_data *info = curl_version_info(CURLVERSION_NOW);
	return (info->features & CURL_VERSION_ASYNCHDNS) != 0 && info->version_num >= 0x075700;
#else
	return false;
#endif
}

static void
check_setopt(CURLcode rc, const char *name)
{
	if (rc != CURLE_OK)
		hc_diex(HC_EXIT_FAILURE, "libcurl refused %s: %s", name, curl_easy_strerror(rc));
}

/* Every option set through here: a refusal (out of memory, not built in) is fatal. */
#define SETOPT(h, opt, val) check_setopt(curl_easy_setopt((h), (opt), (val)), #opt)

/* The request: URL, method, headers, where to connect, credentials. */
static void
configure_request(CURL *h, const struct options *o)
{
	SETOPT(h, CURLOPT_URL, o->url);
#if LIBCURL_VERSION_NUM >= 0x075500
	SETOPT(h, CURLOPT_PROTOCOLS_STR, "http,https");
	SETOPT(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	SETOPT(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
	SETOPT(h, CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	/* A health check goes straight to the service, whatever http_proxy says. */
	SETOPT(h, CURLOPT_PROXY, "");
	SETOPT(h, CURLOPT_IPRESOLVE, o->ip_resolve);
	SETOPT(h, CURLOPT_FOLLOWLOCATION, o->follow ? 1L : 0L);
	SETOPT(h, CURLOPT_MAXREDIRS, MAX_REDIRECTS);
	SETOPT(h, CURLOPT_USERAGENT, o->user_agent);
	switch (o->method) {
	case METHOD_GET:
		SETOPT(h, CURLOPT_HTTPGET, 1L);
		break;
	case METHOD_HEAD:
		SETOPT(h, CURLOPT_NOBODY, 1L);
		break;
	case METHOD_POST:
		SETOPT(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)o->data_len);
		SETOPT(h, CURLOPT_POSTFIELDS, o->data != NULL ? o->data : "");
		break;
	}
	SETOPT(h, CURLOPT_HTTPHEADER, o->headers);
	if (o->resolve != NULL)
		SETOPT(h, CURLOPT_RESOLVE, o->resolve);
	if (o->connect_to != NULL)
		SETOPT(h, CURLOPT_CONNECT_TO, o->connect_to);
	if (o->unix_socket != NULL)
		SETOPT(h, CURLOPT_UNIX_SOCKET_PATH, o->unix_socket);
	if (o->auth.buf != NULL) {
		SETOPT(h, CURLOPT_USERNAME, o->auth.user);
		SETOPT(h, CURLOPT_PASSWORD, o->auth.password);
	}
	if (o->netrc) {
		SETOPT(h, CURLOPT_NETRC, (long)CURL_NETRC_REQUIRED);
		if (o->netrc_file != NULL)
			SETOPT(h, CURLOPT_NETRC_FILE, o->netrc_file);
	}
	if (o->auth.buf != NULL || o->netrc)
		SETOPT(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
}

/* TLS: verification, trust, client certificate, certificate information. */
static void
configure_tls(CURL *h, const struct options *o)
{
	SETOPT(h, CURLOPT_SSL_VERIFYPEER, o->insecure ? 0L : 1L);
	SETOPT(h, CURLOPT_SSL_VERIFYHOST, o->insecure ? 0L : 2L);
	if (o->cacert != NULL)
		SETOPT(h, CURLOPT_CAINFO, o->cacert);
	if (o->capath != NULL)
		SETOPT(h, CURLOPT_CAPATH, o->capath);
	if (o->cert != NULL)
		SETOPT(h, CURLOPT_SSLCERT, o->cert);
	if (o->key != NULL)
		SETOPT(h, CURLOPT_SSLKEY, o->key);
	if (o->cert_days >= 0)
		SETOPT(h, CURLOPT_CERTINFO, 1L);
}

/*
 * Hands every option to the handle, except the timeout, set just before
 * the transfer.  With --keep-alive only the connection is kept: a new one
 * looks the name up afresh (no DNS cache) and makes a full TLS handshake,
 * its certificate verified (no session resumption).
 */
static void
configure(struct http_check *c, struct transfer *t)
{
	CURL *h = t->h;
	SETOPT(h, CURLOPT_ERRORBUFFER, t->errbuf);
	SETOPT(h, CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075700
	if (!c->own_resolver)
		SETOPT(h, CURLOPT_QUICK_EXIT, 1L);
#endif
	if (c->own_resolver && c->o.follow) {
		SETOPT(h, CURLOPT_RESOLVER_START_FUNCTION, refuse_lookup);
		SETOPT(h, CURLOPT_RESOLVER_START_DATA, t);
	}
	if (c->o.keep_alive) {
		SETOPT(h, CURLOPT_DNS_CACHE_TIMEOUT, 0L);
		SETOPT(h, CURLOPT_SSL_SESSIONID_CACHE, 0L);
	}
	SETOPT(h, CURLOPT_WRITEFUNCTION, on_body);
	SETOPT(h, CURLOPT_WRITEDATA, &t->body);
	configure_request(h, &c->o);
	configure_tls(h, &c->o);
}

/*
 * When libcurl cannot stop a name lookup at the deadline, resolves the
 * URL's name here instead, in a child that hc_resolve kills at the
 * deadline, and pins the result with CURLOPT_RESOLVE.  NULL, or why the
 * name cannot be resolved in time.
 */
static const char *
pin_name(struct transfer *t, const struct options *o, hc_deadline deadline)
{
	const struct http_url *u = &o->target;
	if (o->unix_socket != NULL || o->resolve != NULL || o->connect_to != NULL
	    || u->host_is_literal)
		return NULL;
	int family = o->ip_resolve == CURL_IPRESOLVE_V4 ? AF_INET
	    : o->ip_resolve == CURL_IPRESOLVE_V6 ? AF_INET6 : AF_UNSPEC;
	struct hc_sockaddr addrs[HC_RESOLVE_MAX];
	const char *why = NULL;
	size_t n = hc_resolve(u->host, u->port, family, deadline, addrs, HC_RESOLVE_MAX, &why);
	if (n == 0)
		return why;
	char entry[1200];
	size_t len = (size_t)snprintf(entry, sizeof entry, "%s:%u:", u->host, u->port);
	for (size_t i = 0; i < n && len < sizeof entry - 60; i++) {
		char text[INET6_ADDRSTRLEN + 16];
		hc_format_sockaddr(&addrs[i], text, sizeof text);
		*strrchr(text, ':') = '\0';  /* "[::1]:80" -> "[::1]" */
		len += (size_t)snprintf(entry + len, sizeof entry - len, "%s%s", i ? "," : "", text);
	}
	struct curl_slist *l = curl_slist_append(t->pins, entry);
	if (l == NULL)
		hc_diex(HC_EXIT_FAILURE, "out of memory");
	t->pins = l;
	SETOPT(t->h, CURLOPT_RESOLVE, t->pins);
	return NULL;
}

static curl_off_t
info_time(CURL *h, CURLINFO what)
{
	curl_off_t t = 0;
	return curl_easy_getinfo(h, what, &t) == CURLE_OK ? t : 0;
}

/* The expiry date of the server certificate libcurl saw, or NULL. */
static const char *
cert_expire(CURL *h, bool *have_info)
{
	struct curl_certinfo *ci = NULL;
	*have_info = curl_easy_getinfo(h, CURLINFO_CERTINFO, &ci) == CURLE_OK && ci != NULL
	    && ci->num_of_certs >= 1;
	if (!*have_info)
		return NULL;
	const char *expire = NULL;
	for (struct curl_slist *item = ci->certinfo[0]; item != NULL; item = item->next) {
		if (strncmp(item->data, "Expire date:", 12) == 0)
			expire = item->data + 12;
	}
	return expire;
}

/*
 * The certificate's expiry for --cert-days.  A kept connection (--keep-alive)
 * has no new handshake, so its certificate is the one seen when it was made.
 */
static void
observe_cert(struct http_check *c, CURL *h, struct http_seen *seen)
{
	seen->cert_expire = cert_expire(h, &seen->cert_info);
	if (!c->o.keep_alive)
		return;
	long new_connections = 0;
	(void)curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &new_connections);
	if (new_connections > 0)
		snprintf(c->kept_expire, sizeof c->kept_expire, "%s",
		    seen->cert_expire != NULL ? seen->cert_expire : "");
	else if (!seen->cert_info && c->kept_expire[0] != '\0') {
		seen->cert_info = true;
		seen->cert_expire = c->kept_expire;
	}
}

/* Fills seen from how the transfer ended and what libcurl recorded of it. */
static void
observe(struct http_check *c, struct transfer *t, CURLcode rc, struct http_seen *seen)
{
	CURL *h = t->h;
	char *url = NULL, *ip = NULL;
	*seen = (struct http_seen){ .end = TRANSFER_DONE, .body = &t->body };
	(void)curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &seen->code);
	(void)curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &url);
	(void)curl_easy_getinfo(h, CURLINFO_PRIMARY_IP, &ip);
	(void)curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &seen->redirect_url);
	seen->tls = url != NULL && strncmp(url, "https:", 6) == 0;
	/* The connect time counts TLS in; the peer's address is known once TCP is up. */
	seen->connected = info_time(h, CURLINFO_CONNECT_TIME_T) > 0 || (ip != NULL && ip[0] != '\0');
	seen->handshake_done = info_time(h, CURLINFO_APPCONNECT_TIME_T) > 0;
	seen->name_looked_up = info_time(h, CURLINFO_NAMELOOKUP_TIME_T) > 0;
	seen->first_byte = info_time(h, CURLINFO_STARTTRANSFER_TIME_T) > 0;
	if (rc == CURLE_OPERATION_TIMEDOUT) {
		seen->end = TRANSFER_DEADLINE;
		return;
	}
	long err = 0;
	if (rc == CURLE_COULDNT_CONNECT)
		(void)curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &err);
	if (t->lookup_refused)
		snprintf(seen->error, sizeof seen->error, "redirect to %.200s: this libcurl cannot bound "
		    "its name lookup by the deadline (pin the name with --resolve)", t->refused_url);
	else if (err != 0)
		snprintf(seen->error, sizeof seen->error, "%s", strerror((int)err));
	else if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && t->body.full))
		snprintf(seen->error, sizeof seen->error, "%s",
		    t->errbuf[0] != '\0' ? t->errbuf : curl_easy_strerror(rc));
	if (seen->error[0] != '\0') {
		seen->error[strcspn(seen->error, "\n")] = '\0';
		seen->end = TRANSFER_FAILED;
		return;
	}
	if (c->o.cert_days >= 0)
		observe_cert(c, h, seen);
}

/*
 * Milliseconds for CURLOPT_TIMEOUT_MS: the time left, rounded up, plus one.
 * libcurl keeps its deadline in whole milliseconds and was seen to give up
 * up to one of them early (299.79 ms for -t 300ms); the extra one keeps a
 * transfer from ending before the check's own deadline.
 */
static long
timeout_ms(hc_deadline d)
{
	int64_t left = hc_deadline_left(d);
	int64_t ms = (left + HC_NS_PER_MS - 1) / HC_NS_PER_MS;
	return ms < 0 ? 1L : (long)ms + 1;
}

/* "URL" or "URL (address:port)" when the address is not already in the URL. */
static void
describe_target(CURL *h, const struct options *o, struct hc_verdict *v)
{
	char *ip = NULL;
	long port = 0;
	if (h != NULL) {
		(void)curl_easy_getinfo(h, CURLINFO_PRIMARY_IP, &ip);
		(void)curl_easy_getinfo(h, CURLINFO_PRIMARY_PORT, &port);
	}
	if (o->unix_socket != NULL)
		snprintf(v->where, sizeof v->where, "%s (%s)", o->url, o->unix_socket);
	else if (ip != NULL && ip[0] != '\0' && strcmp(ip, o->target.host) != 0)
		snprintf(v->where, sizeof v->where, strchr(ip, ':') ? "%s ([%s]:%ld)" : "%s (%s:%ld)",
		    o->url, ip, port);
	else
		snprintf(v->where, sizeof v->where, "%s", o->url);
}

/* The fields for hc-loop: "http_code=200 time_ms=12 [cert_days=N]". */
static void
format_fields(const struct http_seen *seen, const struct http_judgement *j, int64_t took,
    struct hc_verdict *v)
{
	size_t n = 0, size = sizeof v->fields;
	if (seen->code > 0)
		n += (size_t)snprintf(v->fields + n, size - n, "http_code=%ld ", seen->code);
	n += (size_t)snprintf(v->fields + n, size - n, "time_ms=%lld",
	    (long long)((took + HC_NS_PER_MS / 2) / HC_NS_PER_MS));
	if (j->have_cert_days)
		snprintf(v->fields + n, size - n, " cert_days=%lld", j->cert_days);
}

/* Why a literal address of the other family cannot be used with -4 or -6, or NULL. */
static const char *
family_problem(const struct options *o)
{
	const struct http_url *u = &o->target;
	if (!u->host_is_literal || o->unix_socket != NULL)
		return NULL;
	if ((o->ip_resolve == CURL_IPRESOLVE_V4 && u->literal.family != AF_INET)
	    || (o->ip_resolve == CURL_IPRESOLVE_V6 && u->literal.family != AF_INET6))
		return "address of the wrong family";
	return NULL;
}

/* The easy handle of a run: a new one, or with --keep-alive the kept one, its options reset. */
static CURL *
run_handle(struct http_check *c)
{
	if (c->kept != NULL) {
		curl_easy_reset(c->kept);
		return c->kept;
	}
	CURL *h = curl_easy_init();
	if (h == NULL)
		hc_diex(HC_EXIT_FAILURE, "cannot initialise libcurl");
	if (c->o.keep_alive)
		c->kept = h;
	return h;
}

/*
 * One run: the request on a new easy handle (new connection, new name
 * lookup, TLS verified), judged, before one deadline.
 */
static void
run_check(void *ctx, struct hc_verdict *v)
{
	struct http_check *c = ctx;
	const struct options *o = &c->o;
	int64_t start = hc_now();
	hc_deadline deadline = hc_deadline_in(o->timeout);
	struct transfer t = {
		.h = run_handle(c),
		.body = { .limit = (size_t)o->max_body, .keep = o->nrules > 0 },
	};
	configure(c, &t);

	struct http_seen seen = { .end = TRANSFER_FAILED, .body = &t.body };
	const char *why = family_problem(o);
	if (why == NULL && c->own_resolver)
		why = pin_name(&t, o, deadline);
	if (why == NULL) {
		SETOPT(t.h, CURLOPT_TIMEOUT_MS, timeout_ms(deadline));
		CURLcode rc = curl_easy_perform(t.h);
		if (rc == CURLE_OUT_OF_MEMORY)
			hc_diex(HC_EXIT_FAILURE, "out of memory");
		observe(c, &t, rc, &seen);
	} else {
		snprintf(seen.error, sizeof seen.error, "%s", why);
	}
	struct http_judgement j;
	http_judge(o, &seen, (time_t)(hc_wall_now() / HC_NS_PER_S), &j);

	v->status = j.up ? HC_EXIT_UP : HC_EXIT_DOWN;
	if (j.up)
		hc_reason(v->reason, "HTTP %ld", seen.code);
	else
		hc_reason(v->reason, "%s", j.reason);
	describe_target(why == NULL ? t.h : NULL, o, v);
	if (o->fields)
		format_fields(&seen, &j, hc_now() - start, v);

	if (t.h != c->kept)
		curl_easy_cleanup(t.h);
	curl_slist_free_all(t.pins);
	free(t.body.buf);
}

int
main(int argc, char **argv)
{
	struct http_check c = { .o = {
		.ip_resolve = CURL_IPRESOLVE_WHATEVER,
		.timeout = 2 * HC_NS_PER_S,
		.method = METHOD_GET,
		.user_agent = "hc-http/" PACKAGE_VERSION,
		.cert_days = -1,
		.max_body = BODY_MAX_DEFAULT,
		.status = { .range = { { 200, 299 } }, .n = 1, .arg = "2xx" },
	} };

	hc_init(argv[0]);
	argv[0] = (char *)hc_progname;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		hc_diex(HC_EXIT_FAILURE, "cannot initialise libcurl");
	http_parse_options(argc, argv, &c.o);
	c.own_resolver = !curl_lookup_honours_deadline();

	int status = hc_check_main(&(struct hc_check){
	    .run = run_check, .ctx = &c, .verbose = c.o.verbose, .fields = c.o.fields });
	if (c.kept != NULL)
		curl_easy_cleanup(c.kept);
	http_free_options(&c.o);
	curl_global_cleanup();
	return status;
}
