/*
 * Runs a fuzz harness, compiled without libFuzzer, over corpus files: each
 * argument is a file or a directory of files.  Prints how many inputs ran;
 * exits 2 when there were none, and aborts on a broken invariant.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

/* Reads the whole file at path and runs the harness on it; false on an I/O error. */
static bool
replay_file(const char *path)
{
	int fd = open(path, O_RDONLY);
	struct stat sb;
	if (fd == -1 || fstat(fd, &sb) != 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return false;
	}
	size_t size = (size_t)sb.st_size, got = 0;
	uint8_t *data = malloc(size != 0 ? size : 1);
	if (data == NULL)
		abort();
	while (got < size) {
		ssize_t r = read(fd, data + got, size - got);
		if (r <= 0) {
			fprintf(stderr, "replay: %s: short read\n", path);
			close(fd);
			free(data);
			return false;
		}
		got += (size_t)r;
	}
	close(fd);
	LLVMFuzzerTestOneInput(data, size);
	free(data);
	return true;
}

/* Replays path, or every file in it when it is a directory; counts inputs in *n. */
static bool
replay_path(const char *path, size_t *n)
{
	struct stat sb;
	if (stat(path, &sb) != 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return false;
	}
	if (!S_ISDIR(sb.st_mode)) {
		(*n)++;
		return replay_file(path);
	}
	DIR *dir = opendir(path);
	if (dir == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return false;
	}
	bool ok = true;
	struct dirent *de;
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		char *child = malloc(strlen(path) + strlen(de->d_name) + 2);
		if (child == NULL)
			abort();
		sprintf(child, "%s/%s", path, de->d_name);
		ok = replay_path(child, n) && ok;
		free(child);
	}
	closedir(dir);
	return ok;
}

int
main(int argc, char **argv)
{
	size_t n = 0;
	bool ok = true;
	for (int i = 1; i < argc; i++)
		ok = replay_path(argv[i], &n) && ok;
	printf("replay: %zu inputs\n", n);
	if (!ok)
		return 3;
	return n == 0 ? 2 : 0;
}
