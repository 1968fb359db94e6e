/*
 * hc-http's parts: the options (http-options.c), the judge (http-judge.c)
 * that decides up or down from what a transfer observed and knows no CURL
 * handle, and the driver (hc-http.c) that runs the transfer.
 */
#ifndef HC_HTTP_H
#define HC_HTTP_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <curl/curl.h>

#include "parse.h"

#define BODY_RULES_MAX 16     /* --expect, --expect-regex, --reject in all */
#define STATUS_RANGES_MAX 32
#define MAX_REDIRECTS 5L
#define URL_HOST_MAX 256

enum method { METHOD_GET, METHOD_HEAD, METHOD_POST };

struct status_range {
	long lo, hi;
};

struct status_set {
	struct status_range range[STATUS_RANGES_MAX];
	size_t n;
	const char *arg;  /* as the user wrote it, for reasons */
};

struct body_rule {
	enum { RULE_CONTAINS, RULE_MATCHES, RULE_LACKS } kind;
	const char *text;
	regex_t re;     /* RULE_MATCHES only */
	bool compiled;  /* re is to be freed */
};

/* The secret of --auth-file: the whole buffer read, wiped before it is freed. */
struct http_secret {
	char *buf;          /* "USER\0PASSWORD\0rest of the file" */
	size_t size;        /* bytes of buf to wipe */
	const char *user;
	const char *password;
};

/* What the URL says, checked once at setup. */
struct http_url {
	bool https;
	char host[URL_HOST_MAX];  /* without brackets */
	uint16_t port;
	bool host_is_literal;
	struct hc_prefix literal;
};

struct options {
	const char *url;
	struct http_url target;
	long ip_resolve;
	int64_t timeout;
	bool verbose;
	bool fields;
	bool follow;
	bool insecure;
	bool keep_alive;
	enum method method;
	bool method_given;
	char *data;
	size_t data_len;
	const char *data_file;
	struct curl_slist *headers;
	struct curl_slist *resolve;
	struct curl_slist *connect_to;
	const char *user_agent;
	const char *unix_socket;
	const char *auth_file;
	struct http_secret auth;
	bool netrc;
	const char *netrc_file;
	const char *cacert;
	const char *capath;
	const char *cert;
	const char *key;
	long long cert_days;  /* -1: not checked */
	uint64_t max_body;
	struct status_set status;
	struct body_rule rules[BODY_RULES_MAX];
	size_t nrules;
};

/*
 * Parses argv into o, reads the files the options name and checks the
 * options against each other and the URL.  Exits HC_EXIT_USAGE with one
 * line on a usage error, having freed what o held.
 */
void http_parse_options(int argc, char **argv, struct options *o);

/* Frees what o holds, the --auth-file secret wiped first. */
void http_free_options(struct options *o);

/* Wipes every byte of a secret, then frees it. */
void http_secret_clear(struct http_secret *s);

/*
 * Parses a status list: codes, ranges "lo-hi" and classes "2xx", separated
 * by commas, each code 100-599, into set.  NULL, or the reason it is
 * invalid in why[why_size].
 */
const char *http_parse_status_list(const char *arg, struct status_set *set, char *why,
    size_t why_size);

/* The first max_body bytes of the response body; kept only when a rule needs them. */
struct body {
	char *buf;
	size_t len;
	size_t cap;
	size_t limit;
	bool keep;
	bool full;      /* the limit was reached and the rest left unread */
	size_t seen;    /* bytes received, at most limit */
};

/* How a transfer ended. */
enum transfer_end {
	TRANSFER_DONE,       /* a response (with or without the whole body within --max-body) */
	TRANSFER_DEADLINE,   /* the deadline came first */
	TRANSFER_FAILED,     /* refused, reset, TLS failure...: why in error */
};

/* What one transfer observed: all the judge needs, and nothing of libcurl's. */
struct http_seen {
	enum transfer_end end;
	char error[CURL_ERROR_SIZE + 64];  /* TRANSFER_FAILED: libcurl's or the system's words */
	long code;                     /* the response status; 0: none */
	const char *redirect_url;      /* a Location not followed, or NULL */
	bool tls;                      /* the last URL was https */
	bool connected;                /* TCP was up */
	bool handshake_done;           /* TLS was up */
	bool name_looked_up;           /* the name lookup finished */
	bool first_byte;               /* a byte of the response came */
	const char *cert_expire;       /* the server certificate's "Expire date", or NULL */
	bool cert_info;                /* the TLS library gave certificate information */
	const struct body *body;
};

/* The judge's verdict on one transfer. */
struct http_judgement {
	bool up;
	char reason[320];
	bool have_cert_days;
	long long cert_days;
};

/*
 * Judges what a transfer observed against every condition of o, at wall
 * time now (seconds since the epoch, for --cert-days).
 */
void http_judge(const struct options *o, const struct http_seen *seen, time_t now,
    struct http_judgement *j);

/* Seconds since the epoch of a certificate date as libcurl shows it, or -1. */
time_t http_cert_time(const char *s);

#endif
