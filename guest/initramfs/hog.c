// ballast-hog: hold N MiB of anonymous guest memory, the guest-side memory pressure for balloon
// tests (busybox has no stress tool, and a tmpfs file is no good: the OOM killer cannot kill it).
//
//   ballast-hog MIB [READY_FILE [CHUNK_MIB [PAUSE_MS]]]
//
// Maps MIB MiB of private anonymous memory (MAP_NORESERVE: under the default overcommit heuristic
// even more than the guest has is granted, so the OOM killer, not mmap, says no), writes one
// non-zero byte to every 4 KiB page (so each page is really allocated, not the shared zero page),
// prints
//   BALLAST hog started t=<CLOCK_BOOTTIME ms> pid=<pid> mib=<MIB> ms=<time to touch>
// With CHUNK_MIB (> 0) it touches the memory CHUNK_MIB MiB at a time, sleeps PAUSE_MS ms (0 by default)
// between chunks (a workload that grows at a rate), and after each chunk prints
//   BALLAST hog chunk t=<ms> pid=<pid> n=<chunk index> mib=<chunk MiB> us=<time to touch the chunk, µs>
// (its allocation latency: page faults, and any reclaim or balloon deflate the guest needed for them).
// Then it creates READY_FILE if given (an empty argument: none), then holds the memory until it is killed — by the OOM killer when a
// balloon squeezes the guest, which the /init reports as `BALLAST hog killed`. While it holds it, it
// checks every page's byte once a second: a page that lost it (a host that released memory the
// guest still uses reads back zeros) prints
//   BALLAST hog corrupt t=<ms> pid=<pid> page=<index> byte=<value>
// and exits with status 3 (`BALLAST hog exited ... rc=3`). SIGUSR1 (the console's `unhog`) makes it
// check every page once more and give its memory back: it prints
//   BALLAST hog freed t=<ms> pid=<pid> mib=<MIB>
// and exits 0 (3 if the last check found a changed page), so its pages become free guest memory —
// what free page reporting hands to the host.
// Built by build-initramfs.sh with `gcc -static -Os`, no dependencies but the kernel.
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t freeing;

static void on_usr1(int sig)
{
	(void)sig;
	freeing = 1;
}

static long long boot_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static long long boot_ms(void)
{
	return boot_us() / 1000;
}

static long number(const char *arg, const char *what)
{
	char *end;
	long value = strtol(arg, &end, 10);
	if (*end != '\0' || value < 0) {
		fprintf(stderr, "ballast-hog: bad %s '%s'\n", what, arg);
		exit(2);
	}
	return value;
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 5) {
		fprintf(stderr, "usage: %s MIB [READY_FILE [CHUNK_MIB [PAUSE_MS]]]\n", argv[0]);
		return 2;
	}
	long mib = number(argv[1], "MiB count");
	long chunk_mib = argc > 3 ? number(argv[3], "chunk MiB") : 0;
	long pause_ms = argc > 4 ? number(argv[4], "pause ms") : 0;
	if (mib == 0) {
		fprintf(stderr, "ballast-hog: bad MiB count '%s'\n", argv[1]);
		return 2;
	}
	const char *ready = argc > 2 && argv[2][0] != '\0' ? argv[2] : NULL;
	size_t len = (size_t)mib << 20;
	size_t chunk = chunk_mib > 0 ? (size_t)chunk_mib << 20 : len;
	long long t0 = boot_ms();
	unsigned char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		perror("ballast-hog: mmap");
		return 1;
	}
	// One write() per line: lines from different processes never interleave on the console.
	char line[160];
	int n;
	for (size_t start = 0, index = 0; start < len; start += chunk, index++) {
		size_t stop = start + chunk < len ? start + chunk : len;
		if (chunk_mib > 0 && index > 0 && pause_ms > 0)
			usleep((useconds_t)pause_ms * 1000);
		long long c0 = boot_us();
		for (size_t off = start; off < stop; off += 4096)
			p[off] = (unsigned char)(off >> 12) | 1;
		if (chunk_mib == 0)
			continue;
		long long c1 = boot_us();
		n = snprintf(line, sizeof line, "BALLAST hog chunk t=%lld pid=%d n=%zu mib=%zu us=%lld\n",
			     c1 / 1000, (int)getpid(), index, (stop - start) >> 20, c1 - c0);
		if (write(STDOUT_FILENO, line, (size_t)n) != n)
			return 1;
	}
	long long t1 = boot_ms();

	n = snprintf(line, sizeof line, "BALLAST hog started t=%lld pid=%d mib=%ld ms=%lld\n",
			 t1, (int)getpid(), mib, t1 - t0);
	if (write(STDOUT_FILENO, line, (size_t)n) != n)
		return 1;
	if (ready) {
		int fd = open(ready, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0)
			close(fd);
	}
	struct sigaction sa = { .sa_handler = on_usr1 };
	sigaction(SIGUSR1, &sa, NULL);
	for (;;) {
		if (!freeing)
			sleep(1);
		for (size_t off = 0; off < len; off += 4096) {
			if (p[off] == ((unsigned char)(off >> 12) | 1))
				continue;
			n = snprintf(line, sizeof line, "BALLAST hog corrupt t=%lld pid=%d page=%zu byte=%u\n",
				     boot_ms(), (int)getpid(), off >> 12, p[off]);
			if (write(STDOUT_FILENO, line, (size_t)n) != n)
				return 1;
			return 3;
		}
		if (freeing)
			break;
	}
	munmap(p, len);
	n = snprintf(line, sizeof line, "BALLAST hog freed t=%lld pid=%d mib=%ld\n", boot_ms(), (int)getpid(), mib);
	return write(STDOUT_FILENO, line, (size_t)n) == n ? 0 : 1;
}
