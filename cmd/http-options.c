/*
 * hc-http's options: the table, parse_option (which only records and
 * checks each value by itself), and the steps after it that read files,
 * compile regexes and check options against the URL and each other.  A
 * usage error frees what the options hold before it exits, so no path out
 * of here leaks.
 */
#include "config.h"

#include <argp.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "check.h"
#include "hc.h"
#include "http.h"
#include "io.h"
#include "opt.h"
#include "parse.h"

#define BODY_MAX_LIMIT (64 * 1024 * 1024)   /* the most --max-body allows */
#define AUTH_FILE_MAX 4096
#define DATA_FILE_MAX (1024 * 1024)
#define CERT_DAYS_MAX 3650

enum {
	OPT_AUTH_FILE = 256, OPT_CACERT, OPT_CAPATH, OPT_CERT, OPT_CERT_DAYS, OPT_CONNECT_TO,
	OPT_DATA_FILE, OPT_HOST, OPT_KEEP_ALIVE, OPT_KEY, OPT_MAX_BODY, OPT_NETRC, OPT_NETRC_FILE,
	OPT_REJECT, OPT_RESOLVE, OPT_UNIX_SOCKET,
};

static const struct argp_option option_table[] = {
	{ NULL, 0, NULL, 0, "The request:", 1 },
	{ "ipv4", '4', NULL, 0, "Use IPv4 addresses only", 1 },
	{ "ipv6", '6', NULL, 0, "Use IPv6 addresses only", 1 },
	{ "user-agent", 'A', "STRING", 0, "User-Agent header (default hc-http/VERSION)", 1 },
	{ "auth-file", OPT_AUTH_FILE, "FILE", 0,
	  "Basic authentication with the USER:PASSWORD on FILE's first line", 1 },
	{ "connect-to", OPT_CONNECT_TO, "HOST:PORT:TARGET:TPORT", 0,
	  "Connect to TARGET:TPORT for requests to HOST:PORT", 1 },
	{ "data", 'd', "STRING", 0, "Send STRING as the body of a POST", 1 },
	{ "data-file", OPT_DATA_FILE, "FILE", 0, "Send FILE (1 MiB at most) as the body of a POST", 1 },
	{ "follow", 'L', NULL, 0, "Follow up to 5 redirects (http and https only)", 1 },
	{ "header", 'H', "NAME: VALUE", 0, "Add a request header (repeatable)", 1 },
	{ "host", OPT_HOST, "NAME", 0, "Send NAME as the Host header", 1 },
	{ "keep-alive", OPT_KEEP_ALIVE, NULL, 0,
	  "Resident: keep the connection from one run to the next (see hc-http(1))", 1 },
	{ "method", 'X', "METHOD", 0, "GET (default), HEAD or POST", 1 },
	{ "netrc", OPT_NETRC, NULL, 0, "Basic authentication from ~/.netrc", 1 },
	{ "netrc-file", OPT_NETRC_FILE, "FILE", 0, "Basic authentication from FILE, in netrc format", 1 },
	{ "resolve", OPT_RESOLVE, "HOST:PORT:ADDRESS", 0,
	  "Use ADDRESS[,ADDRESS...] for HOST:PORT instead of resolving it", 1 },
	{ "unix-socket", OPT_UNIX_SOCKET, "PATH", 0, "Connect to the unix-domain socket PATH", 1 },
	{ NULL, 0, NULL, 0, "TLS:", 2 },
	{ "cacert", OPT_CACERT, "FILE", 0, "Trust the CA certificates in FILE (PEM)", 2 },
	{ "capath", OPT_CAPATH, "DIR", 0, "Trust the CA certificates in DIR (hashed names)", 2 },
	{ "cert", OPT_CERT, "FILE", 0, "Client certificate (PEM)", 2 },
	{ "cert-days", OPT_CERT_DAYS, "DAYS", 0,
	  "Down when the server certificate expires within DAYS days", 2 },
	{ "insecure", 'k', NULL, 0, "Do not verify the server certificate and name", 2 },
	{ "key", OPT_KEY, "FILE", 0, "Private key of the client certificate (PEM)", 2 },
	{ NULL, 0, NULL, 0, "The response:", 3 },
	{ "expect", 'e', "STRING", 0, "Require the body to contain STRING", 3 },
	{ "expect-regex", 'E', "REGEX", 0, "Require the body to match a POSIX extended REGEX", 3 },
	{ "max-body", OPT_MAX_BODY, "SIZE", 0, "Read at most SIZE of the body (default 1MiB)", 3 },
	{ "reject", OPT_REJECT, "STRING", 0, "Require the body not to contain STRING", 3 },
	{ "status", 's', "LIST", 0, "Accepted status codes: 200,204 or 200-399 or 2xx (default 2xx)", 3 },
	{ NULL, 0, NULL, 0, "Output:", 4 },
	{ "fields", 'f', NULL, 0, "Write http_code=N time_ms=N on stdout for hc-loop", 4 },
	{ "timeout", 't', "DURATION", 0, "Deadline for the whole check (default 2s)", 4 },
	{ "verbose", 'v', NULL, 0, "Say on stderr why the check is up or down", 4 },
	{ 0 }
};

void
http_secret_clear(struct http_secret *s)
{
	if (s->buf != NULL) {
		explicit_bzero(s->buf, s->size);
		free(s->buf);
	}
	*s = (struct http_secret){ .buf = NULL };
}

void
http_free_options(struct options *o)
{
	for (size_t i = 0; i < o->nrules; i++) {
		if (o->rules[i].compiled)
			regfree(&o->rules[i].re);
	}
	o->nrules = 0;
	curl_slist_free_all(o->headers);
	curl_slist_free_all(o->resolve);
	curl_slist_free_all(o->connect_to);
	o->headers = o->resolve = o->connect_to = NULL;
	http_secret_clear(&o->auth);
	free(o->data);
	o->data = NULL;
}

/* Exits HC_EXIT_USAGE with one line, after freeing what o holds. */
static noreturn void __attribute__((format(printf, 2, 3)))
die_usage(struct options *o, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	http_free_options(o);
	hc_diex(HC_EXIT_USAGE, "%s", msg);
}

/* true when s has no control byte (CR, LF, NUL... ) that could split a header. */
static bool
header_safe(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 && *s != '\t')
			return false;
		if (*s == 0x7f)
			return false;
	}
	return true;
}

/* A header field name: one or more tchar (RFC 9110), here the common subset. */
static bool
header_name_ok(const char *s, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!isalnum(c) && strchr("!#$%&'*+-.^_`|~", c) == NULL)
			return false;
	}
	return true;
}

static struct curl_slist *
slist_add(struct curl_slist *list, const char *s)
{
	struct curl_slist *l = curl_slist_append(list, s);
	if (l == NULL)
		hc_diex(HC_EXIT_FAILURE, "out of memory");
	return l;
}

/*
 * Splits a curl pin "a:b:c..." in place at colons outside [brackets] into
 * at most max fields, the last one taking the rest.  Returns the number of
 * fields.
 */
static size_t
split_pin_fields(char *s, char **fields, size_t max)
{
	size_t n = 0;
	fields[n++] = s;
	int depth = 0;
	for (char *p = s; *p != '\0' && n < max; p++) {
		if (*p == '[')
			depth++;
		else if (*p == ']' && depth > 0)
			depth--;
		else if (*p == ':' && depth == 0) {
			*p = '\0';
			fields[n++] = p + 1;
		}
	}
	return n;
}

/* A host name or [IPv6] literal as curl takes it in --resolve or --connect-to. */
static bool
pin_host_ok(const char *s)
{
	if (s[0] == '[') {
		size_t len = strlen(s);
		char inner[64];
		if (len < 3 || s[len - 1] != ']' || len - 2 >= sizeof inner)
			return false;
		memcpy(inner, s + 1, len - 2);
		inner[len - 2] = '\0';
		struct hc_prefix a;
		return hc_parse_addr(inner, &a) == NULL && a.family == AF_INET6;
	}
	for (const char *p = s; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;
		if (!isalnum(c) && c != '-' && c != '.' && c != '_' && c != '*')
			return false;
	}
	return true;
}

static bool
pin_port_ok(const char *s)
{
	long long port;
	return hc_parse_int(s, 1, 65535, &port) == NULL;
}

/*
 * Rewrites HOST:PORT:ADDRESS[,ADDRESS...] for CURLOPT_RESOLVE into out, IPv6
 * addresses in brackets.  NULL, or why it is invalid in why[why_size].
 */
static const char *
resolve_entry(const char *arg, char *out, size_t size, char *why, size_t why_size)
{
	char copy[1024];
	char *f[3];
	if (strlen(arg) >= sizeof copy)
		return "too long";
	snprintf(copy, sizeof copy, "%s", arg);
	if (split_pin_fields(copy, f, 3) != 3 || f[0][0] == '\0' || !pin_host_ok(f[0])
	    || !pin_port_ok(f[1]) || f[2][0] == '\0')
		return "not HOST:PORT:ADDRESS";
	size_t n = (size_t)snprintf(out, size, "%s:%s:", f[0], f[1]);
	for (char *save = NULL, *a = strtok_r(f[2], ",", &save); a != NULL;
	     a = strtok_r(NULL, ",", &save)) {
		size_t alen = strlen(a);
		if (a[0] == '[' && alen > 2 && a[alen - 1] == ']') {
			a[alen - 1] = '\0';
			a++;
		}
		struct hc_prefix addr;
		const char *bad = hc_parse_addr(a, &addr);
		if (bad != NULL) {
			snprintf(why, why_size, "address '%s': %s", a, bad);
			return why;
		}
		char text[INET6_ADDRSTRLEN];
		hc_format_addr(&addr, text, sizeof text);
		if (n < size)
			n += (size_t)snprintf(out + n, size - n,
			    addr.family == AF_INET6 ? "%s[%s]" : "%s%s", out[n - 1] == ':' ? "" : ",", text);
	}
	if (n >= size)
		return "too long";
	if (out[n - 1] == ':')
		return "no address";
	return NULL;
}

/* true when arg is HOST:PORT:TARGET:TPORT (HOST, PORT, TARGET or TPORT may be empty). */
static bool
connect_to_ok(const char *arg)
{
	char copy[1024];
	char *f[4];
	if (strlen(arg) >= sizeof copy)
		return false;
	snprintf(copy, sizeof copy, "%s", arg);
	return split_pin_fields(copy, f, 4) == 4 && pin_host_ok(f[0]) && pin_host_ok(f[2])
	    && (f[1][0] == '\0' || pin_port_ok(f[1])) && (f[3][0] == '\0' || pin_port_ok(f[3]))
	    && (f[2][0] != '\0' || f[3][0] != '\0');
}

/* A body rule for flag; a regex is compiled later, by compile_rules. */
static void
add_rule(struct options *o, const char *flag, int kind, const char *text)
{
	if (o->nrules == BODY_RULES_MAX)
		die_usage(o, "too many body conditions at %s (%d at most)", flag, BODY_RULES_MAX);
	if (kind != RULE_MATCHES && text[0] == '\0')
		die_usage(o, "invalid %s '': empty", flag);
	o->rules[o->nrules++] = (struct body_rule){ .kind = kind, .text = text };
}

static error_t
parse_option(int key, char *arg, struct argp_state *state)
{
	struct options *o = state->input;
	char why[128];
	char entry[1200];
	switch (key) {
	case '4': o->ip_resolve = CURL_IPRESOLVE_V4; break;
	case '6': o->ip_resolve = CURL_IPRESOLVE_V6; break;
	case 'A':
		if (!header_safe(arg))
			die_usage(o, "invalid user agent '%s': control character", arg);
		o->user_agent = arg;
		break;
	case OPT_AUTH_FILE: o->auth_file = arg; break;
	case OPT_CONNECT_TO:
		if (!connect_to_ok(arg))
			die_usage(o, "invalid --connect-to '%s': not HOST:PORT:TARGET:TPORT", arg);
		o->connect_to = slist_add(o->connect_to, arg);
		break;
	case 'd':
		free(o->data);
		o->data = hc_xstrdup(arg);
		o->data_len = strlen(arg);
		o->data_file = NULL;
		break;
	case OPT_DATA_FILE: o->data_file = arg; break;
	case 'L': o->follow = true; break;
	case 'H': {
		const char *colon = strchr(arg, ':');
		if (colon == NULL || !header_name_ok(arg, (size_t)(colon - arg)) || !header_safe(arg))
			die_usage(o, "invalid header '%s': not NAME: VALUE", arg);
		o->headers = slist_add(o->headers, arg);
		break;
	}
	case OPT_HOST:
		if (arg[0] == '\0' || !header_safe(arg) || strchr(arg, ' ') != NULL
		    || strlen(arg) > sizeof entry - 7)
			die_usage(o, "invalid host '%s'", arg);
		snprintf(entry, sizeof entry, "Host: %s", arg);
		o->headers = slist_add(o->headers, entry);
		break;
	case OPT_KEEP_ALIVE: o->keep_alive = true; break;
	case 'X':
		if (strcmp(arg, "GET") == 0)
			o->method = METHOD_GET;
		else if (strcmp(arg, "HEAD") == 0)
			o->method = METHOD_HEAD;
		else if (strcmp(arg, "POST") == 0)
			o->method = METHOD_POST;
		else
			die_usage(o, "invalid method '%s': GET, HEAD or POST", arg);
		o->method_given = true;
		break;
	case OPT_NETRC: o->netrc = true; break;
	case OPT_NETRC_FILE: o->netrc = true; o->netrc_file = arg; break;
	case OPT_RESOLVE: {
		const char *bad = resolve_entry(arg, entry, sizeof entry, why, sizeof why);
		if (bad != NULL)
			die_usage(o, "invalid --resolve '%s': %s", arg, bad);
		o->resolve = slist_add(o->resolve, entry);
		break;
	}
	case OPT_UNIX_SOCKET:
		if (arg[0] == '\0' || strlen(arg) >= sizeof ((struct sockaddr_un *)0)->sun_path)
			die_usage(o, "invalid unix socket '%s': %s", arg,
			    arg[0] == '\0' ? "empty" : "path too long");
		o->unix_socket = arg;
		break;
	case OPT_CACERT: o->cacert = arg; break;
	case OPT_CAPATH: o->capath = arg; break;
	case OPT_CERT: o->cert = arg; break;
	case OPT_CERT_DAYS: {
		const char *bad = hc_parse_int(arg, 0, CERT_DAYS_MAX, &o->cert_days);
		if (bad != NULL)
			die_usage(o, "invalid --cert-days '%s': %s", arg, bad);
		break;
	}
	case 'k': o->insecure = true; break;
	case OPT_KEY: o->key = arg; break;
	case 'e': add_rule(o, "--expect", RULE_CONTAINS, arg); break;
	case OPT_REJECT: add_rule(o, "--reject", RULE_LACKS, arg); break;
	case 'E': add_rule(o, "--expect-regex", RULE_MATCHES, arg); break;
	case OPT_MAX_BODY: {
		const char *bad = hc_parse_size(arg, 1, BODY_MAX_LIMIT, &o->max_body);
		if (bad != NULL)
			die_usage(o, "invalid --max-body '%s': %s", arg, bad);
		break;
	}
	case 's': {
		const char *bad = http_parse_status_list(arg, &o->status, why, sizeof why);
		if (bad != NULL)
			die_usage(o, "invalid status list '%s': %s", arg, bad);
		break;
	}
	case 'f': o->fields = true; break;
	case 't': {
		int64_t ns = 0;
		const char *bad = hc_parse_duration(arg, HC_TIMEOUT_MIN, HC_TIMEOUT_MAX, &ns);
		if (bad != NULL)
			die_usage(o, "invalid --timeout '%s': %s", arg, bad);
		o->timeout = ns;
		break;
	}
	case 'v': o->verbose = true; break;
	case ARGP_KEY_ARG:
		if (state->arg_num > 0)
			die_usage(o, "unexpected argument '%s' (usage: %s [options] URL)", arg, hc_progname);
		o->url = arg;
		break;
	case ARGP_KEY_END:
		if (state->arg_num == 0)
			die_usage(o, "missing URL (usage: %s [options] URL)", hc_progname);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* A file an option names must be readable now, not at the first run. */
static void
check_readable(struct options *o, const char *path, const char *what)
{
	if (path != NULL && access(path, R_OK) == -1)
		die_usage(o, "cannot read %s '%s': %s", what, path, strerror(errno));
}

/* Reads a file of at most max bytes for an option, or exits with a usage error. */
static char *
read_option_file(struct options *o, const char *path, size_t max, const char *what, size_t *len)
{
	char *buf = NULL;
	if (hc_read_file(path, max, &buf, len) == -1) {
		if (errno == EFBIG)
			die_usage(o, "invalid %s '%s': larger than %zu bytes", what, path, max);
		die_usage(o, "cannot read %s '%s': %s", what, path, strerror(errno));
	}
	return buf;
}

/*
 * Reads USER:PASSWORD from the first line of the --auth-file into o->auth.
 * The whole buffer is the secret: it is wiped, all of it, when freed.
 */
static void
read_auth_file(struct options *o)
{
	size_t len;
	char *buf = read_option_file(o, o->auth_file, AUTH_FILE_MAX, "auth file", &len);
	o->auth = (struct http_secret){ .buf = buf, .size = AUTH_FILE_MAX + 2 };
	buf[strcspn(buf, "\r\n")] = '\0';
	size_t user_len = strcspn(buf, ":");
	if (buf[user_len] != ':' || user_len == 0)
		die_usage(o, "invalid auth file '%s': its first line is not USER:PASSWORD", o->auth_file);
	buf[user_len] = '\0';
	o->auth.user = buf;
	o->auth.password = buf + user_len + 1;
}

/* Compiles each --expect-regex. */
static void
compile_rules(struct options *o)
{
	for (size_t i = 0; i < o->nrules; i++) {
		struct body_rule *r = &o->rules[i];
		if (r->kind != RULE_MATCHES)
			continue;
		int rc = regcomp(&r->re, r->text, REG_EXTENDED | REG_NOSUB | REG_NEWLINE);
		if (rc != 0) {
			char msg[128];
			regerror(rc, &r->re, msg, sizeof msg);
			die_usage(o, "invalid regex '%s': %s", r->text, msg);
		}
		r->compiled = true;
	}
}

/*
 * Why url is not a well-formed http or https URL without credentials, or
 * NULL with its parts in t.  Frees everything it takes, on every path.
 */
static const char *
url_problem(const char *url, struct http_url *t)
{
	if (strstr(url, "://") == NULL)
		return "no scheme (http:// or https://)";
	CURLU *u = curl_url();
	if (u == NULL)
		hc_diex(HC_EXIT_FAILURE, "out of memory");
	char *scheme = NULL, *user = NULL, *host = NULL, *port = NULL;
	const char *why = NULL;
	CURLUcode uc = curl_url_set(u, CURLUPART_URL, url, 0);
	long long number = 0;
	if (uc != CURLUE_OK)
#if LIBCURL_VERSION_NUM >= 0x075000
		why = curl_url_strerror(uc);
#else
		why = "malformed";
#endif
	else if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK
	    || (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0))
		why = "the scheme is not http or https";
	else if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK)
		why = "credentials in the URL (use --auth-file or --netrc)";
	else if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || host[0] == '\0')
		why = "no host";
	else if (strlen(host) >= sizeof t->host + 2)
		why = "host name too long";
	else if (curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK
	    || hc_parse_int(port, 1, 65535, &number) != NULL)
		why = "no port";
	if (why == NULL) {
		size_t hlen = strlen(host);
		t->https = strcmp(scheme, "https") == 0;
		if (host[0] == '[' && hlen > 2)
			snprintf(t->host, sizeof t->host, "%.*s", (int)(hlen - 2), host + 1);
		else
			snprintf(t->host, sizeof t->host, "%s", host);
		t->port = (uint16_t)number;
		t->host_is_literal = hc_parse_addr(t->host, &t->literal) == NULL;
	}
	curl_free(scheme);
	curl_free(user);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return why;
}

/* The options that depend on the URL or on each other. */
static void
check_combinations(struct options *o)
{
	if (o->cert_days >= 0 && !o->target.https)
		die_usage(o, "--cert-days needs an https URL");
	if (o->data != NULL && o->method_given && o->method != METHOD_POST)
		die_usage(o, "--data needs the POST method");
	if (o->data != NULL)
		o->method = METHOD_POST;
	if (o->method == METHOD_HEAD && o->nrules > 0)
		die_usage(o, "a HEAD response has no body to check");
	if (o->auth.buf != NULL && o->netrc)
		die_usage(o, "--auth-file and --netrc exclude each other");
	if (o->key != NULL && o->cert == NULL)
		die_usage(o, "--key needs --cert");
}

void
http_parse_options(int argc, char **argv, struct options *o)
{
	static const struct argp argp = {
		option_table, parse_option, "URL",
		"Check that an HTTP or HTTPS service answers as expected."
		"\vExit status: 0 up, 1 down, 2 usage error, 3 internal failure.", NULL, NULL, NULL
	};
	argp_parse(&argp, argc, argv, 0, NULL, o);

	if (o->auth_file != NULL)
		read_auth_file(o);
	if (o->data_file != NULL) {
		free(o->data);
		o->data = NULL;
		o->data = read_option_file(o, o->data_file, DATA_FILE_MAX, "data file", &o->data_len);
	}
	check_readable(o, o->netrc_file, "netrc file");
	check_readable(o, o->cacert, "CA file");
	check_readable(o, o->capath, "CA directory");
	check_readable(o, o->cert, "certificate");
	check_readable(o, o->key, "key");
	compile_rules(o);
	const char *why = url_problem(o->url, &o->target);
	if (why != NULL)
		die_usage(o, "invalid URL '%s': %s", o->url, why);
	check_combinations(o);
	/* "Expect:" stops libcurl from waiting up to 1s for "100 Continue" before a large body. */
	o->headers = slist_add(o->headers, "Expect:");
}
