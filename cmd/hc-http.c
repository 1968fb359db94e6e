/*
 * hc-http: does an HTTP(S) service answer as expected?
 *
 * Exit 0 when one request to URL gets a response whose status, body and
 * certificate meet every condition, before one deadline that covers name
 * resolution, connect, the TLS handshake and the body.
 */
#include "config.h"

#include <argp.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "check.h"
#include "clock.h"
#include "hc.h"
#include "io.h"
#include "parse.h"
#include "resolve.h"

#define BODY_MAX_DEFAULT (1024 * 1024)      /* body bytes read by default */
#define BODY_MAX_LIMIT (64 * 1024 * 1024)   /* the most --max-body allows */
#define BODY_RULES_MAX 16                   /* --expect, --expect-regex, --reject in all */
#define STATUS_RANGES_MAX 32
#define MAX_REDIRECTS 5L
#define AUTH_FILE_MAX 4096
#define DATA_FILE_MAX (1024 * 1024)
#define CERT_DAYS_MAX 3650

enum method { METHOD_GET, METHOD_HEAD, METHOD_POST };

struct status_range {
	long lo, hi;
};

struct body_rule {
	enum { RULE_CONTAINS, RULE_MATCHES, RULE_LACKS } kind;
	const char *text;
	regex_t re;  /* RULE_MATCHES only */
};

struct options {
	const char *url;
	long ip_resolve;
	int64_t timeout;
	bool verbose;
	bool fields;
	bool follow;
	bool insecure;
	enum method method;
	bool method_given;
	char *data;
	size_t data_len;
	struct curl_slist *headers;
	struct curl_slist *resolve;
	struct curl_slist *connect_to;
	const char *user_agent;
	const char *unix_socket;
	char *auth_user;      /* from --auth-file; the buffer holds the password too */
	const char *auth_password;
	bool netrc;
	const char *netrc_file;
	const char *cacert;
	const char *capath;
	const char *cert;
	const char *key;
	long long cert_days;  /* -1: not checked */
	uint64_t max_body;
	const char *status_arg;
	struct status_range status[STATUS_RANGES_MAX];
	size_t nstatus;
	struct body_rule rules[BODY_RULES_MAX];
	size_t nrules;
};

enum {
	OPT_AUTH_FILE = 256, OPT_CACERT, OPT_CAPATH, OPT_CERT, OPT_CERT_DAYS, OPT_CONNECT_TO,
	OPT_DATA_FILE, OPT_HOST, OPT_KEY, OPT_MAX_BODY, OPT_NETRC, OPT_NETRC_FILE, OPT_REJECT,
	OPT_RESOLVE, OPT_UNIX_SOCKET,
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

/*
 * Parses a status list: codes, ranges "lo-hi" and classes "2xx", separated
 * by commas, each code 100-599.  NULL, or the reason it is invalid.
 */
static const char *
parse_status_list(const char *arg, struct options *o)
{
	static char why[96];
	o->nstatus = 0;
	const char *p = arg;
	for (;;) {
		const char *end = strchr(p, ',');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
		char item[16];
		if (len == 0)
			return "empty item";
		if (len >= sizeof item)
			return "item too long";
		if (o->nstatus == STATUS_RANGES_MAX)
			return "too many items";
		memcpy(item, p, len);
		item[len] = '\0';
		struct status_range *r = &o->status[o->nstatus++];
		long long lo, hi;
		char *dash = strchr(item, '-');
		if (len == 3 && item[0] >= '1' && item[0] <= '5' && strcmp(item + 1, "xx") == 0) {
			lo = (item[0] - '0') * 100;
			hi = lo + 99;
		} else if (dash != NULL && dash != item) {
			*dash = '\0';
			if (hc_parse_int(item, 100, 599, &lo) != NULL
			    || hc_parse_int(dash + 1, 100, 599, &hi) != NULL) {
				*dash = '-';
				snprintf(why, sizeof why, "'%s' is not a range of status codes 100-599", item);
				return why;
			}
			if (lo > hi) {
				*dash = '-';
				snprintf(why, sizeof why, "'%s' is an empty range", item);
				return why;
			}
		} else if (hc_parse_int(item, 100, 599, &lo) == NULL) {
			hi = lo;
		} else {
			snprintf(why, sizeof why, "'%s' is not a status code 100-599", item);
			return why;
		}
		r->lo = (long)lo;
		r->hi = (long)hi;
		if (end == NULL)
			return NULL;
		p = end + 1;
	}
}

static bool
status_accepted(const struct options *o, long code)
{
	for (size_t i = 0; i < o->nstatus; i++) {
		if (code >= o->status[i].lo && code <= o->status[i].hi)
			return true;
	}
	return false;
}

/*
 * Reads at most max bytes of path into a new NUL-terminated buffer.  Exits
 * with a usage error naming `what` if the file cannot be read or is larger.
 */
static char *
read_small_file(const char *path, size_t max, const char *what, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		hc_die(HC_EXIT_USAGE, "cannot read %s '%s'", what, path);
	char *buf = hc_xmalloc(max + 2);
	size_t n = 0;
	for (;;) {
		ssize_t r = read(fd, buf + n, max + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			hc_die(HC_EXIT_USAGE, "cannot read %s '%s'", what, path);
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max)
			hc_diex(HC_EXIT_USAGE, "invalid %s '%s': larger than %zu bytes", what, path, max);
	}
	close(fd);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/*
 * Reads USER:PASSWORD from the first line of an --auth-file into o: the user
 * in a new buffer that also holds the password after it.
 */
static void
read_auth_file(const char *path, struct options *o)
{
	size_t len;
	char *buf = read_small_file(path, AUTH_FILE_MAX, "auth file", &len);
	buf[strcspn(buf, "\r\n")] = '\0';
	char *colon = strchr(buf, ':');
	if (colon == NULL || colon == buf)
		hc_diex(HC_EXIT_USAGE, "invalid auth file '%s': its first line is not USER:PASSWORD", path);
	*colon = '\0';
	o->auth_user = buf;
	o->auth_password = colon + 1;
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
 * Splits "a:b:c..." at colons outside [brackets] into at most max fields,
 * the last one taking the rest.  Returns the number of fields.
 */
static size_t
split_colons(char *s, char **fields, size_t max)
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
 * Checks HOST:PORT:ADDRESS[,ADDRESS...] and returns it rewritten for
 * CURLOPT_RESOLVE, IPv6 addresses in brackets.  Exits on a usage error.
 */
static char *
parse_resolve(const char *arg)
{
	char *copy = hc_xstrdup(arg);
	char *f[3];
	if (split_colons(copy, f, 3) != 3 || f[0][0] == '\0' || !pin_host_ok(f[0])
	    || !pin_port_ok(f[1]) || f[2][0] == '\0')
		hc_diex(HC_EXIT_USAGE, "invalid --resolve '%s': not HOST:PORT:ADDRESS", arg);
	size_t naddrs = 1;
	for (const char *p = f[2]; *p != '\0'; p++)
		naddrs += *p == ',';
	size_t size = strlen(f[0]) + strlen(f[1]) + 2 + naddrs * (INET6_ADDRSTRLEN + 3) + 1;
	char *out = hc_xmalloc(size);
	size_t n = (size_t)snprintf(out, size, "%s:%s:", f[0], f[1]);
	for (char *save = NULL, *a = strtok_r(f[2], ",", &save); a != NULL;
	     a = strtok_r(NULL, ",", &save)) {
		size_t alen = strlen(a);
		if (a[0] == '[' && alen > 2 && a[alen - 1] == ']') {
			a[alen - 1] = '\0';
			a++;
		}
		struct hc_prefix addr;
		const char *why = hc_parse_addr(a, &addr);
		if (why != NULL)
			hc_diex(HC_EXIT_USAGE, "invalid --resolve '%s': address '%s': %s", arg, a, why);
		char text[INET6_ADDRSTRLEN];
		hc_format_addr(&addr, text, sizeof text);
		n += (size_t)snprintf(out + n, size - n, addr.family == AF_INET6 ? "%s[%s]" : "%s%s",
		    out[n - 1] == ':' ? "" : ",", text);
	}
	if (out[n - 1] == ':')
		hc_diex(HC_EXIT_USAGE, "invalid --resolve '%s': no address", arg);
	free(copy);
	return out;
}

/* Checks HOST:PORT:TARGET:TPORT (HOST, PORT, TARGET or TPORT may be empty). */
static void
check_connect_to(const char *arg)
{
	char *copy = hc_xstrdup(arg);
	char *f[4];
	if (split_colons(copy, f, 4) != 4 || !pin_host_ok(f[0]) || !pin_host_ok(f[2])
	    || (f[1][0] != '\0' && !pin_port_ok(f[1])) || (f[3][0] != '\0' && !pin_port_ok(f[3]))
	    || (f[2][0] == '\0' && f[3][0] == '\0'))
		hc_diex(HC_EXIT_USAGE, "invalid --connect-to '%s': not HOST:PORT:TARGET:TPORT", arg);
	free(copy);
}

static void
check_readable(const char *path, const char *what)
{
	if (access(path, R_OK) == -1)
		hc_die(HC_EXIT_USAGE, "cannot read %s '%s'", what, path);
}

static struct body_rule *
new_rule(struct options *o, const char *opt)
{
	if (o->nrules == BODY_RULES_MAX)
		hc_diex(HC_EXIT_USAGE, "too many body conditions at %s (%d at most)", opt, BODY_RULES_MAX);
	return &o->rules[o->nrules++];
}

static error_t
parse_option(int key, char *arg, struct argp_state *state)
{
	struct options *o = state->input;
	const char *why;
	struct body_rule *rule;
	switch (key) {
	case '4':
		o->ip_resolve = CURL_IPRESOLVE_V4;
		break;
	case '6':
		o->ip_resolve = CURL_IPRESOLVE_V6;
		break;
	case 'A':
		if (!header_safe(arg))
			hc_diex(HC_EXIT_USAGE, "invalid user agent '%s': control character", arg);
		o->user_agent = arg;
		break;
	case OPT_AUTH_FILE:
		free(o->auth_user);
		read_auth_file(arg, o);
		break;
	case OPT_CONNECT_TO:
		check_connect_to(arg);
		o->connect_to = slist_add(o->connect_to, arg);
		break;
	case 'd':
		free(o->data);
		o->data = hc_xstrdup(arg);
		o->data_len = strlen(arg);
		break;
	case OPT_DATA_FILE:
		free(o->data);
		o->data = read_small_file(arg, DATA_FILE_MAX, "data file", &o->data_len);
		break;
	case 'L':
		o->follow = true;
		break;
	case 'H': {
		const char *colon = strchr(arg, ':');
		if (colon == NULL || !header_name_ok(arg, (size_t)(colon - arg)) || !header_safe(arg))
			hc_diex(HC_EXIT_USAGE, "invalid header '%s': not NAME: VALUE", arg);
		o->headers = slist_add(o->headers, arg);
		break;
	}
	case OPT_HOST: {
		if (arg[0] == '\0' || !header_safe(arg) || strchr(arg, ' ') != NULL)
			hc_diex(HC_EXIT_USAGE, "invalid host '%s'", arg);
		char *line = hc_xmalloc(strlen(arg) + 7);
		sprintf(line, "Host: %s", arg);
		o->headers = slist_add(o->headers, line);
		free(line);
		break;
	}
	case 'X':
		if (strcmp(arg, "GET") == 0)
			o->method = METHOD_GET;
		else if (strcmp(arg, "HEAD") == 0)
			o->method = METHOD_HEAD;
		else if (strcmp(arg, "POST") == 0)
			o->method = METHOD_POST;
		else
			hc_diex(HC_EXIT_USAGE, "invalid method '%s': GET, HEAD or POST", arg);
		o->method_given = true;
		break;
	case OPT_NETRC:
		o->netrc = true;
		break;
	case OPT_NETRC_FILE:
		check_readable(arg, "netrc file");
		o->netrc = true;
		o->netrc_file = arg;
		break;
	case OPT_RESOLVE: {
		char *entry = parse_resolve(arg);
		o->resolve = slist_add(o->resolve, entry);
		free(entry);
		break;
	}
	case OPT_UNIX_SOCKET:
		if (arg[0] == '\0' || strlen(arg) >= sizeof ((struct sockaddr_un *)0)->sun_path)
			hc_diex(HC_EXIT_USAGE, "invalid unix socket '%s': %s", arg,
			    arg[0] == '\0' ? "empty" : "path too long");
		o->unix_socket = arg;
		break;
	case OPT_CACERT:
		check_readable(arg, "CA file");
		o->cacert = arg;
		break;
	case OPT_CAPATH:
		check_readable(arg, "CA directory");
		o->capath = arg;
		break;
	case OPT_CERT:
		check_readable(arg, "certificate");
		o->cert = arg;
		break;
	case OPT_CERT_DAYS:
		if ((why = hc_parse_int(arg, 0, CERT_DAYS_MAX, &o->cert_days)))
			hc_diex(HC_EXIT_USAGE, "invalid --cert-days '%s': %s", arg, why);
		break;
	case 'k':
		o->insecure = true;
		break;
	case OPT_KEY:
		check_readable(arg, "key");
		o->key = arg;
		break;
	case 'e':
	case OPT_REJECT:
		if (arg[0] == '\0')
			hc_diex(HC_EXIT_USAGE, "invalid %s '': empty", key == 'e' ? "--expect" : "--reject");
		rule = new_rule(o, key == 'e' ? "--expect" : "--reject");
		rule->kind = key == 'e' ? RULE_CONTAINS : RULE_LACKS;
		rule->text = arg;
		break;
	case 'E': {
		rule = new_rule(o, "--expect-regex");
		int rc = regcomp(&rule->re, arg, REG_EXTENDED | REG_NOSUB | REG_NEWLINE);
		if (rc != 0) {
			char msg[128];
			regerror(rc, &rule->re, msg, sizeof msg);
			hc_diex(HC_EXIT_USAGE, "invalid regex '%s': %s", arg, msg);
		}
		rule->kind = RULE_MATCHES;
		rule->text = arg;
		break;
	}
	case OPT_MAX_BODY:
		if ((why = hc_parse_size(arg, 1, BODY_MAX_LIMIT, &o->max_body)))
			hc_diex(HC_EXIT_USAGE, "invalid --max-body '%s': %s", arg, why);
		break;
	case 's':
		if ((why = parse_status_list(arg, o)))
			hc_diex(HC_EXIT_USAGE, "invalid status list '%s': %s", arg, why);
		o->status_arg = arg;
		break;
	case 'f':
		o->fields = true;
		break;
	case 't':
		o->timeout = hc_parse_timeout(arg);
		break;
	case 'v':
		o->verbose = true;
		break;
	case ARGP_KEY_ARG:
		if (state->arg_num > 0)
			hc_diex(HC_EXIT_USAGE, "unexpected argument '%s' (usage: %s [options] URL)",
			    arg, hc_progname);
		o->url = arg;
		break;
	case ARGP_KEY_END:
		if (state->arg_num == 0)
			hc_diex(HC_EXIT_USAGE, "missing URL (usage: %s [options] URL)", hc_progname);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/*
 * Checks that the URL is a well-formed http or https URL without
 * credentials, and the options that depend on it or on each other.  Sets
 * *https, the URL's host (without brackets) and port.
 */
static void
check_request(struct options *o, bool *https, char *host, size_t host_size, long *port)
{
	if (strstr(o->url, "://") == NULL)
		hc_diex(HC_EXIT_USAGE, "invalid URL '%s': no scheme (http:// or https://)", o->url);
	CURLU *u = curl_url();
	if (u == NULL)
		hc_diex(HC_EXIT_FAILURE, "out of memory");
	CURLUcode uc = curl_url_set(u, CURLUPART_URL, o->url, 0);
	if (uc != CURLUE_OK) {
#if LIBCURL_VERSION_NUM >= 0x075000
		hc_diex(HC_EXIT_USAGE, "invalid URL '%s': %s", o->url, curl_url_strerror(uc));
#else
		hc_diex(HC_EXIT_USAGE, "invalid URL '%s': malformed", o->url);
#endif
	}
	char *scheme = NULL, *user = NULL, *h = NULL, *p = NULL;
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK
	    || (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0))
		hc_diex(HC_EXIT_USAGE, "invalid URL '%s': the scheme is not http or https", o->url);
	*https = strcmp(scheme, "https") == 0;
	if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK)
		hc_diex(HC_EXIT_USAGE, "invalid URL '%s': credentials in the URL "
		    "(use --auth-file or --netrc)", o->url);
	if (curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK || h[0] == '\0')
		hc_diex(HC_EXIT_USAGE, "invalid URL '%s': no host", o->url);
	if (curl_url_get(u, CURLUPART_PORT, &p, CURLU_DEFAULT_PORT) != CURLUE_OK)
		hc_diex(HC_EXIT_USAGE, "invalid URL '%s': no port", o->url);
	size_t hlen = strlen(h);
	if (h[0] == '[' && hlen > 2)
		snprintf(host, host_size, "%.*s", (int)(hlen - 2), h + 1);
	else
		snprintf(host, host_size, "%s", h);
	*port = strtol(p, NULL, 10);
	curl_free(scheme);
	curl_free(h);
	curl_free(p);
	curl_url_cleanup(u);

	if (o->cert_days >= 0 && !*https)
		hc_diex(HC_EXIT_USAGE, "--cert-days needs an https URL");
	if (o->data != NULL && o->method_given && o->method != METHOD_POST)
		hc_diex(HC_EXIT_USAGE, "--data needs the POST method");
	if (o->data != NULL)
		o->method = METHOD_POST;
	if (o->method == METHOD_HEAD && o->nrules > 0)
		hc_diex(HC_EXIT_USAGE, "a HEAD response has no body to check");
	if (o->auth_user != NULL && o->netrc)
		hc_diex(HC_EXIT_USAGE, "--auth-file and --netrc exclude each other");
	if (o->key != NULL && o->cert == NULL)
		hc_diex(HC_EXIT_USAGE, "--key needs --cert");
}

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

/* Hands every option to the handle, except the timeout, set just before the transfer. */
static void
configure(CURL *h, const struct options *o, struct body *body, char *errbuf)
{
	SETOPT(h, CURLOPT_ERRORBUFFER, errbuf);
	SETOPT(h, CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075700
	if (curl_lookup_honours_deadline())
		SETOPT(h, CURLOPT_QUICK_EXIT, 1L);
#endif
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
	SETOPT(h, CURLOPT_WRITEFUNCTION, on_body);
	SETOPT(h, CURLOPT_WRITEDATA, body);

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

	if (o->auth_user != NULL) {
		SETOPT(h, CURLOPT_USERNAME, o->auth_user);
		SETOPT(h, CURLOPT_PASSWORD, o->auth_password);
	}
	if (o->netrc) {
		SETOPT(h, CURLOPT_NETRC, (long)CURL_NETRC_REQUIRED);
		if (o->netrc_file != NULL)
			SETOPT(h, CURLOPT_NETRC_FILE, o->netrc_file);
	}
	if (o->auth_user != NULL || o->netrc)
		SETOPT(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);

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
 * When libcurl cannot stop a name lookup at the deadline, resolves the
 * URL's name here instead, in a child that hc_resolve kills at the
 * deadline, and pins the result with CURLOPT_RESOLVE.  false with the
 * reason in why when the name cannot be resolved in time.
 */
static bool
resolve_name_ourselves(CURL *h, const struct options *o, const char *host, long port,
    hc_deadline deadline, struct curl_slist **pins, const char **why)
{
	struct hc_prefix literal;
	if (o->unix_socket != NULL || o->resolve != NULL || o->connect_to != NULL
	    || hc_parse_addr(host, &literal) == NULL)
		return true;
	int family = o->ip_resolve == CURL_IPRESOLVE_V4 ? AF_INET
	    : o->ip_resolve == CURL_IPRESOLVE_V6 ? AF_INET6 : AF_UNSPEC;
	struct hc_sockaddr addrs[HC_RESOLVE_MAX];
	size_t n = hc_resolve(host, (uint16_t)port, family, deadline, addrs, HC_RESOLVE_MAX, why);
	if (n == 0)
		return false;
	char entry[1200];
	size_t len = (size_t)snprintf(entry, sizeof entry, "%s:%ld:", host, port);
	for (size_t i = 0; i < n && len < sizeof entry - 60; i++) {
		char text[INET6_ADDRSTRLEN + 16];
		hc_format_sockaddr(&addrs[i], text, sizeof text);
		*strrchr(text, ':') = '\0';  /* "[::1]:80" -> "[::1]" */
		len += (size_t)snprintf(entry + len, sizeof entry - len, "%s%s", i ? "," : "", text);
	}
	*pins = slist_add(*pins, entry);
	SETOPT(h, CURLOPT_RESOLVE, *pins);
	return true;
}

struct verdict {
	bool up;
	char reason[320];
	long code;          /* 0: no response */
	bool have_cert_days;
	long long cert_days;
};

static curl_off_t
info_time(CURL *h, CURLINFO what)
{
	curl_off_t t = 0;
	return curl_easy_getinfo(h, what, &t) == CURLE_OK ? t : 0;
}

/* Says which step the deadline interrupted, from what libcurl recorded. */
static void
explain_timeout(CURL *h, const struct body *b, bool host_is_literal, struct verdict *v)
{
	char *url = NULL, *ip = NULL;
	(void)curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &url);
	(void)curl_easy_getinfo(h, CURLINFO_PRIMARY_IP, &ip);
	bool tls = url != NULL && strncmp(url, "https:", 6) == 0;
	/* The connect time counts TLS in; the peer's address is known once TCP is up. */
	bool connected = info_time(h, CURLINFO_CONNECT_TIME_T) > 0 || (ip != NULL && ip[0] != '\0');
	if (info_time(h, CURLINFO_STARTTRANSFER_TIME_T) > 0)
		hc_reason(v->reason, "body incomplete at the deadline (%zu bytes received)", b->seen);
	else if (connected && tls && info_time(h, CURLINFO_APPCONNECT_TIME_T) == 0)
		hc_reason(v->reason, "TLS handshake incomplete at the deadline");
	else if (connected)
		hc_reason(v->reason, "no response before the deadline");
	else if (host_is_literal || info_time(h, CURLINFO_NAMELOOKUP_TIME_T) > 0)
		hc_reason(v->reason, "no connection before the deadline");
	else
		hc_reason(v->reason, "name lookup incomplete at the deadline");
}

/* Seconds since the epoch of a certificate date as libcurl shows it, or -1. */
static time_t
parse_cert_time(const char *s)
{
	/* OpenSSL: "Nov 26 18:45:00 2026 GMT"; libcurl's own ASN.1 code: "2026-11-26 18:45:00 GMT". */
	static const char *const formats[] = { "%b %d %H:%M:%S %Y GMT", "%Y-%m-%d %H:%M:%S GMT" };
	for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
		struct tm tm;
		memset(&tm, 0, sizeof tm);
		const char *end = strptime(s, formats[i], &tm);
		if (end != NULL && *end == '\0')
			return timegm(&tm);
	}
	return -1;
}

/* Checks the server certificate's expiry date against --cert-days. */
static bool
check_cert_days(CURL *h, const struct options *o, struct verdict *v)
{
	struct curl_certinfo *ci = NULL;
	if (curl_easy_getinfo(h, CURLINFO_CERTINFO, &ci) != CURLE_OK || ci == NULL
	    || ci->num_of_certs < 1) {
		hc_reason(v->reason, "no certificate information from the TLS library");
		return false;
	}
	const char *expire = NULL;
	for (struct curl_slist *item = ci->certinfo[0]; item != NULL; item = item->next) {
		if (strncmp(item->data, "Expire date:", 12) == 0)
			expire = item->data + 12;
	}
	time_t at = expire != NULL ? parse_cert_time(expire) : -1;
	if (at == -1) {
		hc_reason(v->reason, "cannot read the certificate's expiry date '%s'", expire ? expire : "");
		return false;
	}
	int64_t left = (int64_t)at - hc_wall_now() / HC_NS_PER_S;
	v->have_cert_days = true;
	v->cert_days = left >= 0 ? left / 86400 : -((-left + 86399) / 86400);
	if (left >= o->cert_days * 86400)
		return true;
	if (left < 0)
		hc_reason(v->reason, "certificate expired %.1f days ago (%s)", -(double)left / 86400, expire);
	else
		hc_reason(v->reason, "certificate expires in %.1f days (%s), within --cert-days %lld",
		    (double)left / 86400, expire, o->cert_days);
	return false;
}

/* Checks every body rule against the prefix read.  false with the reason in v. */
static bool
check_body(const struct options *o, const struct body *b, struct verdict *v)
{
	char within[48] = "";
	if (b->full)
		snprintf(within, sizeof within, " in its first %zu bytes", b->len);
	const char *text = b->buf != NULL ? b->buf : "";
	for (size_t i = 0; i < o->nrules; i++) {
		const struct body_rule *r = &o->rules[i];
		bool found;
		if (r->kind == RULE_MATCHES) {
			regmatch_t whole = { .rm_so = 0, .rm_eo = (regoff_t)b->len };
			found = regexec(&r->re, text, 1, &whole, REG_STARTEND) == 0;
		} else {
			found = memmem(text, b->len, r->text, strlen(r->text)) != NULL;
		}
		if (r->kind == RULE_LACKS && found) {
			hc_reason(v->reason, "body contains '%s'", r->text);
			return false;
		}
		if (r->kind != RULE_LACKS && !found) {
			hc_reason(v->reason, "body does not %s '%s'%s",
			    r->kind == RULE_MATCHES ? "match" : "contain", r->text, within);
			return false;
		}
	}
	return true;
}

/* Runs the request and judges the response against every condition. */
static void
run_check(CURL *h, const struct options *o, struct body *b, const char *errbuf,
    bool host_is_literal, struct verdict *v)
{
	CURLcode rc = curl_easy_perform(h);
	if (rc == CURLE_OUT_OF_MEMORY)
		hc_diex(HC_EXIT_FAILURE, "out of memory");
	(void)curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &v->code);
	if (rc == CURLE_OPERATION_TIMEDOUT) {
		explain_timeout(h, b, host_is_literal, v);
		return;
	}
	if (rc == CURLE_COULDNT_CONNECT) {
		long err = 0;
		(void)curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &err);
		if (err != 0) {
			hc_reason(v->reason, "%s", strerror((int)err));
			return;
		}
	}
	if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && b->full)) {
		hc_reason(v->reason, "%s", errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc));
		v->reason[strcspn(v->reason, "\n")] = '\0';
		return;
	}
	/* Read before the status is judged, so that --fields reports cert_days either way. */
	bool cert_ok = o->cert_days < 0 || check_cert_days(h, o, v);
	if (!status_accepted(o, v->code)) {
		char *location = NULL;
		(void)curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &location);
		if (location != NULL && !o->follow)
			hc_reason(v->reason, "HTTP %ld, expected %s (redirect to %s not followed: see --follow)",
			    v->code, o->status_arg, location);
		else
			hc_reason(v->reason, "HTTP %ld, expected %s", v->code, o->status_arg);
		return;
	}
	if (!cert_ok)
		return;
	if (!check_body(o, b, v))
		return;
	v->up = true;
}

/* Milliseconds for CURLOPT_TIMEOUT_MS: the time left, rounded up, at least 1. */
static long
timeout_ms(hc_deadline d)
{
	int64_t left = hc_deadline_left(d);
	int64_t ms = (left + HC_NS_PER_MS - 1) / HC_NS_PER_MS;
	return ms < 1 ? 1L : (long)ms;
}

/* "URL" or "URL (address:port)" when the address is not already in the URL. */
static void
describe_target(CURL *h, const struct options *o, const char *host, char *buf, size_t size)
{
	char *ip = NULL;
	long port = 0;
	(void)curl_easy_getinfo(h, CURLINFO_PRIMARY_IP, &ip);
	(void)curl_easy_getinfo(h, CURLINFO_PRIMARY_PORT, &port);
	if (o->unix_socket != NULL)
		snprintf(buf, size, "%s (%s)", o->url, o->unix_socket);
	else if (ip != NULL && ip[0] != '\0' && strcmp(ip, host) != 0)
		snprintf(buf, size, strchr(ip, ':') ? "%s ([%s]:%ld)" : "%s (%s:%ld)", o->url, ip, port);
	else
		snprintf(buf, size, "%s", o->url);
}

/* The fields for hc-loop, on stdout: "http_code=200 time_ms=12 [cert_days=N]". */
static void
write_fields(const struct verdict *v, int64_t took)
{
	char line[128];
	int n = 0;
	if (v->code > 0)
		n += snprintf(line + n, sizeof line - (size_t)n, "http_code=%ld ", v->code);
	n += snprintf(line + n, sizeof line - (size_t)n, "time_ms=%lld",
	    (long long)((took + HC_NS_PER_MS / 2) / HC_NS_PER_MS));
	if (v->have_cert_days)
		snprintf(line + n, sizeof line - (size_t)n, " cert_days=%lld", v->cert_days);
	(void)hc_write_line(STDOUT_FILENO, line);
}

/* The -v line on stderr: up with the status, or down with the reason. */
static void
say_verdict(CURL *h, const struct options *o, const char *host, const struct verdict *v,
    int64_t took)
{
	char where[1200];
	char elapsed[32];
	describe_target(h, o, host, where, sizeof where);
	hc_format_ms(took, elapsed, sizeof elapsed);
	if (v->up)
		hc_warnx("%s up: HTTP %ld in %s", where, v->code, elapsed);
	else
		hc_warnx("%s down: %s (after %s)", where, v->reason, elapsed);
}

static void
free_options(struct options *o)
{
	for (size_t i = 0; i < o->nrules; i++) {
		if (o->rules[i].kind == RULE_MATCHES)
			regfree(&o->rules[i].re);
	}
	curl_slist_free_all(o->headers);
	curl_slist_free_all(o->resolve);
	curl_slist_free_all(o->connect_to);
	if (o->auth_user != NULL) {
		explicit_bzero(o->auth_user, strlen(o->auth_user) + 1 + strlen(o->auth_password));
		free(o->auth_user);
	}
	free(o->data);
}

int
main(int argc, char **argv)
{
	static const struct argp argp = {
		option_table, parse_option, "URL",
		"Check that an HTTP or HTTPS service answers as expected."
		"\vExit status: 0 up, 1 down, 2 usage error, 3 internal failure.", NULL, NULL, NULL
	};
	struct options o = {
		.ip_resolve = CURL_IPRESOLVE_WHATEVER,
		.timeout = 2 * HC_NS_PER_S,
		.method = METHOD_GET,
		.user_agent = "hc-http/" PACKAGE_VERSION,
		.cert_days = -1,
		.max_body = BODY_MAX_DEFAULT,
		.status_arg = "2xx",
		.status = { { 200, 299 } },
		.nstatus = 1,
	};

	hc_init(argv[0]);
	argv[0] = (char *)hc_progname;
	struct sigaction ignore = { .sa_handler = SIG_IGN };
	sigaction(SIGPIPE, &ignore, NULL);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		hc_diex(HC_EXIT_FAILURE, "cannot initialise libcurl");
	argp_parse(&argp, argc, argv, 0, NULL, &o);

	int64_t start = hc_now();
	hc_deadline deadline = hc_deadline_in(o.timeout);
	bool https;
	char host[256];
	long port;
	check_request(&o, &https, host, sizeof host, &port);
	struct hc_prefix literal;
	bool host_is_literal = hc_parse_addr(host, &literal) == NULL;

	CURL *h = curl_easy_init();
	if (h == NULL)
		hc_diex(HC_EXIT_FAILURE, "cannot initialise libcurl");
	char errbuf[CURL_ERROR_SIZE] = "";
	struct body body = { .limit = (size_t)o.max_body, .keep = o.nrules > 0 };
	struct curl_slist *pins = NULL;
	/* "Expect:" stops libcurl from waiting up to 1s for "100 Continue" before a large body. */
	o.headers = slist_add(o.headers, "Expect:");
	configure(h, &o, &body, errbuf);

	struct verdict v = { .up = false };
	const char *why = NULL;
	if (host_is_literal && o.unix_socket == NULL
	    && ((o.ip_resolve == CURL_IPRESOLVE_V4 && literal.family != AF_INET)
	    || (o.ip_resolve == CURL_IPRESOLVE_V6 && literal.family != AF_INET6))) {
		hc_reason(v.reason, "address of the wrong family");
	} else if (!curl_lookup_honours_deadline()
	    && !resolve_name_ourselves(h, &o, host, port, deadline, &pins, &why)) {
		hc_reason(v.reason, "%s", why);
	} else {
		SETOPT(h, CURLOPT_TIMEOUT_MS, timeout_ms(deadline));
		run_check(h, &o, &body, errbuf, host_is_literal, &v);
	}
	int64_t took = hc_now() - start;

	if (o.fields)
		write_fields(&v, took);
	if (o.verbose)
		say_verdict(h, &o, host, &v, took);

	curl_easy_cleanup(h);
	curl_slist_free_all(pins);
	free(body.buf);
	free_options(&o);
	curl_global_cleanup();
	return v.up ? HC_EXIT_UP : HC_EXIT_DOWN;
}
