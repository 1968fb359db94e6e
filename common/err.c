#include "config.h"

#include <argp.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hc.h"
#include "io.h"

const char *hc_progname = "hc";
const char *argp_program_version = PACKAGE_NAME " " PACKAGE_VERSION;

void
hc_init(const char *argv0)
{
	if (argv0 != NULL && *argv0 != '\0') {
		const char *slash = strrchr(argv0, '/');
		hc_progname = slash != NULL ? slash + 1 : argv0;
	}
	argp_err_exit_status = HC_EXIT_USAGE;
	hc_ensure_std_fds();
	/* A reader that left is an EPIPE for the writer to handle, not a death. */
	struct sigaction ignore = { .sa_handler = SIG_IGN };
	sigemptyset(&ignore.sa_mask);
	if (sigaction(SIGPIPE, &ignore, NULL) == -1)
		hc_die(HC_EXIT_FAILURE, "sigaction SIGPIPE");
}

void
hc_ensure_std_fds(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		int null = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
		if (null == -1)
			abort();
		if (null != fd) {
			dup2(null, fd);
			close(null);
		}
	}
}

/* Appends printf output to buf[*n], never past size - 2 (room for "\n"). */
__attribute__((format(printf, 4, 0)))
static void
vappend(char *buf, size_t size, size_t *n, const char *fmt, va_list ap)
{
	if (*n >= size - 2)
		return;
	int r = vsnprintf(buf + *n, size - 1 - *n, fmt, ap);
	if (r > 0)
		*n = *n + (size_t)r < size - 2 ? *n + (size_t)r : size - 2;
}

__attribute__((format(printf, 4, 5)))
static void
append(char *buf, size_t size, size_t *n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vappend(buf, size, n, fmt, ap);
	va_end(ap);
}

/* Formats "prog: msg[: strerror]\n" and writes it in one piece. */
__attribute__((format(printf, 2, 0)))
static void
vreport(int errnum, const char *fmt, va_list ap)
{
	char line[1024];
	size_t n = 0;
	append(line, sizeof line, &n, "%s: ", hc_progname);
	vappend(line, sizeof line, &n, fmt, ap);
	if (errnum != 0)
		append(line, sizeof line, &n, ": %s", strerror(errnum));
	line[n++] = '\n';
	(void)hc_write_all(STDERR_FILENO, line, n);
}

void
hc_warnx(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport(0, fmt, ap);
	va_end(ap);
}

void
hc_logx(const char *fmt, ...)
{
	char stamp[40] = "";
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (gmtime_r(&ts.tv_sec, &tm) != NULL) {
		size_t n = strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(stamp + n, sizeof stamp - n, ".%03ldZ", ts.tv_nsec / 1000000);
	}
	char line[1024];
	size_t n = 0;
	va_list ap;
	append(line, sizeof line, &n, "%s: %s ", hc_progname, stamp);
	va_start(ap, fmt);
	vappend(line, sizeof line, &n, fmt, ap);
	va_end(ap);
	line[n++] = '\n';
	(void)hc_write_all(STDERR_FILENO, line, n);
}

void
hc_warn(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	vreport(saved, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
hc_diex(int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport(0, fmt, ap);
	va_end(ap);
	exit(status);
}

void
hc_die(int status, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	vreport(saved, fmt, ap);
	va_end(ap);
	exit(status);
}

void *
hc_xmalloc(size_t n)
{
	void *p = malloc(n != 0 ? n : 1);
	if (p == NULL)
		hc_diex(HC_EXIT_FAILURE, "out of memory");
	return p;
}

void *
hc_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n != 0 ? n : 1, size != 0 ? size : 1);
	if (p == NULL)
		hc_diex(HC_EXIT_FAILURE, "out of memory");
	return p;
}

char *
hc_xstrdup(const char *s)
{
	char *p = strdup(s);
	if (p == NULL)
		hc_diex(HC_EXIT_FAILURE, "out of memory");
	return p;
}

bool
hc_warn_limit_pass(struct hc_warn_limit *w, int64_t now)
{
	if (w->next_at != 0 && now < w->next_at) {
		w->held++;
		return false;
	}
	w->next_at = now + w->every;
	return true;
}

long long
hc_warn_limit_take(struct hc_warn_limit *w, int64_t now)
{
	long long held = w->held;
	w->held = 0;
	w->next_at = now + w->every;
	return held;
}
