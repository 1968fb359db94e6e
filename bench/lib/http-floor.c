/*
 * The floor of an HTTP check: the CPU one GET costs with libcurl (the
 * library hc-http uses) inside a process that is already running, with a new
 * handle, so a new connection and name lookup, each time.
 *
 * usage: http-floor URL COUNT
 * Prints "OK CPU_NS_PER_REQUEST": the CPU time of this process
 * (CLOCK_PROCESS_CPUTIME_ID) over the requests that got a 2xx.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cpu-ns.h"

static size_t
discard(char *p, size_t size, size_t n, void *ctx)
{
	(void)p, (void)ctx;
	return size * n;
}

int
main(int argc, char **argv)
{
	if (argc != 3 || curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		return 2;
	long count = atol(argv[2]), ok = 0;
	long long t0 = cpu_ns();
	for (long i = 0; i < count; i++) {
		CURL *h = curl_easy_init();
		long code = 0;
		if (h == NULL)
			return 1;
		curl_easy_setopt(h, CURLOPT_URL, argv[1]);
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 2000L);
		if (curl_easy_perform(h) == CURLE_OK &&
		    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK &&
		    code >= 200 && code < 300)
			ok++;
		curl_easy_cleanup(h);
	}
	long long used = cpu_ns() - t0;
	printf("%ld %lld\n", ok, ok ? used / ok : 0);
	curl_global_cleanup();
	return ok ? 0 : 1;
}
