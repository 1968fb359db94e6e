/*
 * hc-http's --auth-file secret is wiped, all of it, before its memory is
 * freed: every free() of this program (linked with --wrap=free) is looked
 * at, and no freed block may still hold a byte of the file's text.
 */
#include "config.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hc.h"
#include "http.h"
#include "tap.h"

#define MARK "s3cr3t-MARK"

void __real_free(void *p);
void __wrap_free(void *p);

static int marked_frees;

/* free() that counts the blocks still holding MARK when they are freed. */
void
__wrap_free(void *p)
{
	if (p != NULL) {
		size_t n = malloc_usable_size(p);
		if (memmem(p, n, MARK, strlen(MARK)) != NULL)
			marked_frees++;
	}
	__real_free(p);
}

/* A file in TMPDIR with text; its path in path[size]. */
static void
write_file(char *path, size_t size, const char *name, const char *text)
{
	const char *dir = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
	snprintf(path, size, "%s/hc-test-secret-%ld-%s", dir, (long)getpid(), name);
	FILE *f = fopen(path, "w");
	if (f == NULL || fputs(text, f) == EOF || fclose(f) != 0)
		exit(99);
}

int
main(void)
{
	char first[512], second[512];
	write_file(first, sizeof first, "1", "alice:" MARK "-1\n# a second line: " MARK "-2\n");
	write_file(second, sizeof second, "2", "bob:" MARK "-3\n" MARK "-4 on line two\n");

	hc_init("hc-http");
	struct options o = { .cert_days = -1 };
	char *argv[] = { "hc-http", "--auth-file", first, "--auth-file", second,
	    "http://127.0.0.1/", NULL };
	http_parse_options(6, argv, &o);
	ok(o.auth.user != NULL && strcmp(o.auth.user, "bob") == 0, "the last --auth-file counts");
	ok(o.auth.password != NULL && strcmp(o.auth.password, MARK "-3") == 0,
	    "the password is the rest of its first line");
	ok(marked_frees == 0, "no secret freed unwiped while parsing (%d)", marked_frees);
	http_free_options(&o);
	ok(marked_frees == 0, "no secret freed unwiped, past its first line either (%d)", marked_frees);
	ok(o.auth.buf == NULL, "the secret is gone from the options");

	unlink(first);
	unlink(second);
	return tap_done();
}
