/*
 * The check layer (check.h): a run once and its report, and the resident
 * loop served to a parent through pipes, as hc-loop --resident serves it;
 * a million runs in one process leave the heap as it was.
 */
#include "config.h"

#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
size_t __sanitizer_get_current_allocated_bytes(void);  /* sanitizer/allocator_interface.h */
#endif

#include "check.h"
#include "hc.h"
#include "io.h"
#include "tap.h"

/* Bytes of heap in use: ASan's allocator replaces malloc's, and mallinfo2 with it. */
static size_t
heap_in_use(void)
{
#if defined(__SANITIZE_ADDRESS__)
	return __sanitizer_get_current_allocated_bytes();
#else
	return mallinfo2().uordblks;
#endif
}

/* What a run leaking even one byte would pass in a million runs. */
#define HEAP_SLACK (64 * 1024)

struct counter {
	long runs;
	size_t heap_after_warmup;
	bool heap_grew;
};

/* Up on odd runs with a field, down on even ones; allocates as a core does. */
static void
run_counted(void *ctx, struct hc_verdict *v)
{
	struct counter *c = ctx;
	char *scratch = hc_xmalloc(4096);
	scratch[0] = '\0';
	free(scratch);
	c->runs++;
	v->status = c->runs % 2 == 1 ? HC_EXIT_UP : HC_EXIT_DOWN;
	snprintf(v->where, sizeof v->where, "test");
	snprintf(v->fields, sizeof v->fields, "run=%ld", c->runs);
	if (c->runs == 1000)
		c->heap_after_warmup = heap_in_use();
}

/*
 * Runs hc_check_main in a child with stdin and stdout on pipes, as a
 * process group leader with HC_RESIDENT=1 when resident.  Writes input,
 * closes it, collects the output into out; returns the wait status.
 */
static int
serve_child(bool resident, bool fields, const char *input, size_t input_len, long repeat,
    char *out, size_t out_size, size_t *out_len)
{
	int in[2], res[2];
	if (pipe(in) == -1 || pipe(res) == -1)
		abort();
	pid_t pid = fork();
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(res[1], 1);
		close(in[0]); close(in[1]); close(res[0]); close(res[1]);
		setpgid(0, 0);
		if (resident)
			setenv(HC_RESIDENT_ENV, "1", 1);
		struct counter c = { 0 };
		int status = hc_check_main(&(struct hc_check){
		    .run = run_counted, .ctx = &c, .fields = fields });
		if (c.runs >= 1000000 && heap_in_use() > c.heap_after_warmup + HEAP_SLACK)
			_exit(99);
		_exit(status);
	}
	close(in[0]);
	close(res[1]);
	pid_t writer = fork();
	if (writer == 0) {
		close(res[0]);
		for (long i = 0; i < repeat; i++)
			hc_write_all(in[1], input, input_len);
		_exit(0);
	}
	close(in[1]);
	*out_len = 0;
	for (;;) {
		char buf[65536];
		ssize_t n = read(res[0], buf, sizeof buf);
		if (n <= 0)
			break;
		size_t keep = (size_t)n < out_size - *out_len ? (size_t)n : out_size - *out_len;
		memcpy(out + *out_len, buf, keep);
		*out_len += keep;
	}
	close(res[0]);
	int ws = 0;
	waitpid(writer, &ws, 0);
	waitpid(pid, &ws, 0);
	return ws;
}

int
main(void)
{
	hc_init("test-check");
	char out[4096];
	size_t len;
	int ws;

	ws = serve_child(false, true, "", 0, 1, out, sizeof out, &len);
	ok(WIFEXITED(ws) && WEXITSTATUS(ws) == HC_EXIT_UP, "run once, the verdict is the exit status");
	ok(len == 6 && memcmp(out, "run=1\n", 6) == 0, "and --fields writes the fields as a line");
	ws = serve_child(false, false, "", 0, 1, out, sizeof out, &len);
	ok(len == 0, "without --fields nothing is written on stdout");

	ws = serve_child(true, true, "check\ncheck\ncheck\n", 18, 1, out, sizeof out, &len);
	out[len] = '\0';
	ok(WIFEXITED(ws) && WEXITSTATUS(ws) == HC_EXIT_UP, "resident, the end of stdin is a normal end");
	ok(strcmp(out, "0 run=1\n1 run=2\n0 run=3\n") == 0, "one answer per request: '%s'", out);
	ws = serve_child(true, false, "check\ncheck\n", 12, 1, out, sizeof out, &len);
	out[len] = '\0';
	ok(strcmp(out, "0\n1\n") == 0, "without --fields the answers are the statuses alone");

	ws = serve_child(true, true, "check\nstatus\ncheck\n", 19, 1, out, sizeof out, &len);
	out[len] = '\0';
	ok(WIFEXITED(ws) && WEXITSTATUS(ws) == HC_EXIT_USAGE, "a request that is not one ends it, status 2");
	ok(strcmp(out, "0 run=1\n") == 0, "after the answers before it");

	/* Without a process group of its own, HC_RESIDENT is another program's. */
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(null, 1);
		setenv(HC_RESIDENT_ENV, "1", 1);
		struct counter c = { 0 };
		int status = hc_check_main(&(struct hc_check){ .run = run_counted, .ctx = &c });
		_exit(getenv(HC_RESIDENT_ENV) == NULL && c.runs == 1 ? status : 98);
	}
	waitpid(pid, &ws, 0);
	ok(WIFEXITED(ws) && WEXITSTATUS(ws) == HC_EXIT_UP,
	    "a check that does not lead its group runs once, and HC_RESIDENT is removed");

	/* The requests go in writes of a thousand, as a pipe takes them. */
	static char batch[6 * 1000];
	for (size_t i = 0; i < sizeof batch; i += 6)
		memcpy(batch + i, "check\n", 6);
	ws = serve_child(true, false, batch, sizeof batch, 1000, out, sizeof out, &len);
	ok(WIFEXITED(ws) && WEXITSTATUS(ws) == HC_EXIT_UP,
	    "a million resident runs leave the heap as it was after the first thousand (status %d)",
	    WIFEXITED(ws) ? WEXITSTATUS(ws) : -1);
	return tap_done();
}
