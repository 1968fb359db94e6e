#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hc.h"
#include "opt.h"
#include "parse.h"

static void
check(const char *flag, const char *arg, const char *why)
{
	if (why != NULL)
		hc_diex(HC_EXIT_USAGE, "invalid %s '%s': %s", flag, arg, why);
}

long long
hc_opt_int(const char *flag, const char *arg, long long min, long long max)
{
	long long v = 0;
	check(flag, arg, hc_parse_int(arg, min, max, &v));
	return v;
}

int64_t
hc_opt_duration(const char *flag, const char *arg, int64_t min, int64_t max)
{
	int64_t v = 0;
	check(flag, arg, hc_parse_duration(arg, min, max, &v));
	return v;
}

uint64_t
hc_opt_size(const char *flag, const char *arg, uint64_t min, uint64_t max)
{
	uint64_t v = 0;
	check(flag, arg, hc_parse_size(arg, min, max, &v));
	return v;
}

long long
hc_opt_percent(const char *flag, const char *arg, int decimals, long long max)
{
	char number[32];
	size_t len = strlen(arg);
	if (len > 0 && arg[len - 1] == '%')
		len--;
	long long v = 0;
	const char *why = len < sizeof number ? NULL : "too large";
	if (why == NULL) {
		memcpy(number, arg, len);
		number[len] = '\0';
		why = hc_parse_fixed(number, decimals, 0, max, &v);
	}
	check(flag, arg, why);
	return v;
}

void
hc_opt_error(char *first, size_t size, const char *fmt, ...)
{
	if (first[0] != '\0')
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(first, size, fmt, ap);
	va_end(ap);
}

enum { OPT_USAGE = 0x7f00 };

static const struct argp_option help_options[] = {
	{ "help", '?', NULL, 0, "Give this help list", -1 },
	{ "usage", OPT_USAGE, NULL, 0, "Give a short usage message", -1 },
	{ 0 }
};

static error_t
parse_help(int key, char *arg, struct argp_state *state)
{
	(void)arg;
	switch (key) {
	case '?':
		argp_state_help(state, stdout, ARGP_HELP_STD_HELP & ~ARGP_HELP_EXIT_OK);
		exit(HC_EXIT_UP);
	case OPT_USAGE:
		argp_state_help(state, stdout, ARGP_HELP_USAGE);
		exit(HC_EXIT_UP);
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

const struct argp hc_opt_help = { help_options, parse_help, NULL, NULL, NULL, NULL, NULL };
