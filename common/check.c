#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>

#include "check.h"
#include "hc.h"

int64_t
hc_parse_timeout(const char *arg)
{
	int64_t ns;
	const char *why = hc_parse_duration(arg, HC_TIMEOUT_MIN, HC_TIMEOUT_MAX, &ns);
	if (why != NULL)
		hc_diex(HC_EXIT_USAGE, "invalid timeout '%s': %s", arg, why);
	return ns;
}

void
hc_reasonf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	if (size == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (isupper((unsigned char)buf[0]) && islower((unsigned char)buf[1]))
		buf[0] = (char)tolower((unsigned char)buf[0]);
}
