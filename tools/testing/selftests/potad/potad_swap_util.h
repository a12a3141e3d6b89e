/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the POTAD swap kselftest and benchmark share: a swap header written
 * to /dev/zram0, the mTHP sizes switched on and off, their counters.
 */
#ifndef _POTAD_SWAP_UTIL_H
#define _POTAD_SWAP_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "potad_util.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

#define ZRAM		"/sys/block/zram0"
#define ZDEV		"/dev/zram0"
#define THP		"/sys/kernel/mm/transparent_hugepage"
#define POTAD_SWAP	"/sys/kernel/debug/potad/swap"
#define POTAD_SWAP_PARAM	"/sys/module/potad/parameters/swap"
#define ZRAM_BYTES	(64UL << 20)
#define PAGE		4096UL

/* The mTHP sizes 6.12 offers on x86-64 with 4 KB pages. */
static const unsigned int thp_kb[] = { 16, 32, 64, 128, 256, 512, 1024, 2048 };

/* Write a swap header to @dev for slots [1, last] with @bad marked bad. */
static inline int write_header_to(const char *dev, unsigned int last,
				  const uint32_t *bad, unsigned int nr_bad)
{
	static unsigned char page[PAGE];
	uint32_t *info = (uint32_t *)(page + 1024);
	int fd, ret = 0;

	memset(page, 0, sizeof(page));
	info[0] = 1;			/* version */
	info[1] = last;			/* last_page */
	info[2] = nr_bad;		/* nr_badpages */
	/* uuid, volume (8 words), padding (117): badpages at word 128. */
	memcpy(info + 128, bad, nr_bad * sizeof(*bad));
	memcpy(page + PAGE - 10, "SWAPSPACE2", 10);
	fd = open(dev, O_WRONLY);
	if (fd < 0)
		return -errno;
	if (pwrite(fd, page, PAGE, 0) != PAGE)
		ret = -EIO;
	if (fsync(fd))
		ret = -errno;
	close(fd);
	return ret;
}

static inline int write_header(unsigned int last, const uint32_t *bad,
			       unsigned int nr_bad)
{
	return write_header_to(ZDEV, last, bad, nr_bad);
}

/* mTHP: @kb always (0 for none), every other size never, PMD THP never. */
static inline void set_mthp(unsigned int kb)
{
	char path[128];
	unsigned int i;

	write_str(THP "/enabled", "never");
	for (i = 0; i < ARRAY_SIZE(thp_kb); i++) {
		snprintf(path, sizeof(path), THP "/hugepages-%ukB/enabled",
			 thp_kb[i]);
		write_str(path, thp_kb[i] == kb ? "always" : "never");
	}
}

static inline long long mthp_stat(unsigned int kb, const char *name)
{
	char path[160];

	snprintf(path, sizeof(path), THP "/hugepages-%ukB/stats/%s", kb, name);
	return read_num(path);
}

/* An anonymous mapping of @bytes aligned to @align (a power of two). */
static inline void *map_aligned(size_t bytes, size_t align)
{
	unsigned char *raw, *p;

	raw = mmap(NULL, bytes + align, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED)
		return NULL;
	p = (unsigned char *)(((uintptr_t)raw + align - 1) & ~(align - 1));
	if (p != raw)
		munmap(raw, p - raw);
	munmap(p + bytes, raw + align - p);
	return p;
}

#endif /* _POTAD_SWAP_UTIL_H */
