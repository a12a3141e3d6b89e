/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the POTAD kselftests share: writing a command to a debugfs file,
 * reading a number alone or keyed, and summing a counter of
 * /sys/kernel/debug/potad/instances.
 */
#ifndef _POTAD_SELFTEST_UTIL_H
#define _POTAD_SELFTEST_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * The harness gives each test 30 s: too short for the 1 GB hugetlb and
 * memory-pressure cases in a TCG guest with KASAN and lockdep whose host
 * is also building a kernel (seen).  A test that hangs is still caught.
 */
#ifdef TEST_TIMEOUT_DEFAULT
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 120
#endif

/* Write @s to @path; 0, the errno, or EIO for a short write. */
static inline int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY), ret = 0;
	ssize_t n;

	if (fd < 0)
		return errno;
	n = write(fd, s, strlen(s));
	if (n < 0)
		ret = errno;
	else if (n != (ssize_t)strlen(s))
		ret = EIO;
	close(fd);
	return ret;
}

/* A number alone in a file (sysfs, debugfs, cgroupfs), or -1. */
static inline long long read_num(const char *path)
{
	FILE *f = fopen(path, "r");
	long long v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%lli", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/*
 * Sum of counter @key over the instances of 2^@shift-byte units, or -1
 * without the file.
 */
static inline long long instances_sum(const char *key, unsigned int shift)
{
	FILE *f = fopen("/sys/kernel/debug/potad/instances", "r");
	char line[256], k[64];
	long long v, sum = 0;
	unsigned int cur = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %lli", k, &v) != 2)
			continue;
		if (!strcmp(k, "unit_shift"))
			cur = v;
		else if (!strcmp(k, key) && cur == shift)
			sum += v;
	}
	fclose(f);
	return sum;
}

/*
 * The number after "@key@sep" on a line of @path ("MemFree:" in
 * /proc/meminfo, "free_units " in a debugfs file), or -1.
 */
static inline long long read_key(const char *path, const char *key, char sep)
{
	FILE *f = fopen(path, "r");
	size_t n = strlen(key);
	char line[256];
	long long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == sep) {
			v = atoll(line + n + 1);
			break;
		}
	fclose(f);
	return v;
}

#endif /* _POTAD_SELFTEST_UTIL_H */
