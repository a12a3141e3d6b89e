// SPDX-License-Identifier: GPL-2.0
/*
 * POTAD swap kselftest (CONFIG_POTAD_SWAP, CONFIG_ZRAM): swap through POTAD
 * on /dev/zram0.
 *
 * Each test writes its own swap header (any size, bad blocks), swaps the
 * device on, pages anonymous memory out with MADV_PAGEOUT and reads it
 * back.  What the kernel did is read from /proc/self/pagemap (the swap
 * offset of every page swapped out), from the mTHP counters of
 * /sys/kernel/mm/transparent_hugepage/hugepages-<size>kB/stats and from
 * /sys/kernel/debug/potad/swap (runs handed out by POTAD, by order): the
 * slots of a large folio are one naturally aligned run of the device,
 * bad slots and the header are never used, every slot comes back (the
 * same pages swap out again, round after round), and swapoff with pages
 * still out brings them in intact.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/swap.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "potad_swap_util.h"

#ifndef BIT_ULL
#define BIT_ULL(n)	(1ULL << (n))
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT	21
#endif

/* "order K runs N" of the first device in debugfs, or -1. */
static long long potad_runs(unsigned int order)
{
	char key[32];

	snprintf(key, sizeof(key), "order %u runs", order);
	return read_key(POTAD_SWAP, key, ' ');
}

/* Pagemap entry of @addr. */
static uint64_t pagemap(int fd, const void *addr)
{
	uint64_t e = 0;

	if (pread(fd, &e, sizeof(e), (uintptr_t)addr / PAGE * sizeof(e)) !=
	    sizeof(e))
		return 0;
	return e;
}

#define PM_SWAP		BIT_ULL(62)
#define PM_PRESENT	BIT_ULL(63)

static uint64_t swap_offset(uint64_t e)
{
	return (e >> 5) & ((1ULL << 50) - 1);
}

/* An anonymous mapping of @bytes aligned to @align, each page tagged. */
static unsigned char *map_tagged(size_t bytes, size_t align, unsigned int seed)
{
	unsigned char *p = map_aligned(bytes, align);
	size_t i;

	if (!p)
		return NULL;
	for (i = 0; i < bytes; i += 64)
		*(uint64_t *)(p + i) = (i / PAGE) * 1000003ULL + i + seed;
	return p;
}

/* Pages of [p, p + bytes) whose tags are wrong (reading swaps them in). */
static size_t bad_tags(const unsigned char *p, size_t bytes, unsigned int seed)
{
	size_t i, bad = 0, last = (size_t)-1;

	for (i = 0; i < bytes; i += 64)
		if (*(const uint64_t *)(p + i) !=
		    (i / PAGE) * 1000003ULL + i + seed && i / PAGE != last) {
			last = i / PAGE;
			bad++;
		}
	return bad;
}

FIXTURE(swap) {
	int pm;
};

FIXTURE_SETUP(swap)
{
	cpu_set_t cpus;

	if (access(ZRAM, W_OK))
		SKIP(return, "no %s (CONFIG_ZRAM)", ZRAM);
	swapoff(ZDEV);
	write_str(ZRAM "/reset", "1");
	ASSERT_EQ(write_str(ZRAM "/disksize", "64M"), 0);
	self->pm = open("/proc/self/pagemap", O_RDONLY);
	ASSERT_GE(self->pm, 0);
	set_mthp(0);
	/*
	 * Fault and page out on one CPU: MADV_PAGEOUT drains only this CPU's
	 * LRU batches, and a folio still in another's is not paged out.
	 */
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	ASSERT_EQ(sched_setaffinity(0, sizeof(cpus), &cpus), 0);
}

FIXTURE_TEARDOWN(swap)
{
	swapoff(ZDEV);
	write_str(POTAD_SWAP_PARAM, "1");
	write_str(ZRAM "/reset", "1");
	set_mthp(0);
	close(self->pm);
}

/*
 * Large folios of 16 KB and 64 KB swap out whole, each to a naturally
 * aligned run of slots POTAD handed out, and come back intact.
 */
static void pageout_mthp(struct __test_metadata *_metadata, int pm,
			 unsigned int kb)
{
	const size_t bytes = 8UL << 20, fsz = kb * 1024UL;
	const unsigned int order = __builtin_ctz(kb / 4);
	long long out0, fb0, runs0, out, fb;
	size_t i, j, nr = bytes / fsz;
	uint64_t e, first;
	unsigned char *p;

	set_mthp(kb);
	out0 = mthp_stat(kb, "swpout");
	fb0 = mthp_stat(kb, "swpout_fallback");
	runs0 = potad_runs(order);
	ASSERT_GE(out0, 0);
	p = map_tagged(bytes, 2UL << 20, kb);
	ASSERT_NE(p, NULL);
	ASSERT_EQ(madvise(p, bytes, MADV_PAGEOUT), 0);
	out = mthp_stat(kb, "swpout") - out0;
	fb = mthp_stat(kb, "swpout_fallback") - fb0;
	EXPECT_EQ(out, (long long)nr);
	EXPECT_EQ(fb, 0);
	/* Each folio: 2^order consecutive slots from a multiple of 2^order. */
	for (i = 0; i < nr; i++) {
		first = 0;
		for (j = 0; j < fsz / PAGE; j++) {
			e = pagemap(pm, p + i * fsz + j * PAGE);
			ASSERT_TRUE(e & PM_SWAP);
			if (!j) {
				first = swap_offset(e);
				ASSERT_EQ(first % (fsz / PAGE), 0);
				ASSERT_GT(first, 0);
			} else {
				ASSERT_EQ(swap_offset(e), first + j);
			}
		}
	}
	/* Without the file POTAD does not hand out the slots. */
	EXPECT_TRUE(runs0 < 0 || potad_runs(order) - runs0 >= (long long)nr);
	EXPECT_EQ(bad_tags(p, bytes, kb), 0);
	munmap(p, bytes);
}

TEST_F_TIMEOUT(swap, pageout_16k_64k, 120)
{
	ASSERT_EQ(write_header(ZRAM_BYTES / PAGE - 1, NULL, 0), 0);
	ASSERT_EQ(swapon(ZDEV, 0), 0);
	if (mthp_stat(64, "swpout") < 0)
		SKIP(return, "no mTHP swap counters");
	pageout_mthp(_metadata, self->pm, 16);
	pageout_mthp(_metadata, self->pm, 64);
}

/*
 * A device of 37 usable slots (40 after the header, 3 bad): exactly 37
 * pages swap out, never to the header or a bad slot, and after they are
 * read back the same number swaps out again, round after round: every
 * slot came back.
 */
TEST_F(swap, tiny_bad_blocks)
{
	static const uint32_t bad[] = { 3, 17, 33 };
	const size_t bytes = 64 * PAGE;
	unsigned char seen[41];
	unsigned int round, n;
	unsigned char *p;
	uint64_t e, off;
	size_t i;

	ASSERT_EQ(write_header(40, bad, 3), 0);
	ASSERT_EQ(swapon(ZDEV, 0), 0);
	EXPECT_TRUE(access(POTAD_SWAP, R_OK) ||
		    read_key(POTAD_SWAP, "slots", ' ') == 37);
	p = map_tagged(bytes, PAGE, 7);
	ASSERT_NE(p, NULL);
	for (round = 0; round < 4; round++) {
		memset(seen, 0, sizeof(seen));
		ASSERT_EQ(madvise(p, bytes, MADV_PAGEOUT), 0);
		for (i = n = 0; i < bytes / PAGE; i++) {
			e = pagemap(self->pm, p + i * PAGE);
			if (!(e & PM_SWAP))
				continue;
			off = swap_offset(e);
			ASSERT_GE(off, 1);
			ASSERT_LE(off, 40);
			ASSERT_NE(off, 3);
			ASSERT_NE(off, 17);
			ASSERT_NE(off, 33);
			ASSERT_EQ(seen[off], 0);
			seen[off] = 1;
			n++;
		}
		EXPECT_EQ(n, 37) TH_LOG("round %u", round);
		EXPECT_EQ(bad_tags(p, bytes, 7), 0);
	}
	munmap(p, bytes);
}

/*
 * Slots freed one by one from inside runs: MADV_DONTNEED of one page of
 * each swapped-out 64 KB folio, then reads of random single pages, then
 * of everything.  The data is intact, and on a device with only 256 slots
 * more than the 8 MB swapped out, the next round swaps all 8 MB out
 * again as 64 KB folios: the slots came back, unfragmented.
 */
TEST_F_TIMEOUT(swap, partial_frees, 180)
{
	const size_t bytes = 8UL << 20, fsz = 64 * 1024;
	unsigned long sum = 0;
	long long out0, fb0;
	unsigned char *p, *pg;
	size_t i, b, k;

	ASSERT_EQ(write_header(bytes / PAGE + 256, NULL, 0), 0);
	ASSERT_EQ(swapon(ZDEV, 0), 0);
	if (mthp_stat(64, "swpout") < 0)
		SKIP(return, "no mTHP swap counters");
	set_mthp(64);
	srand(1);
	for (k = 0; k < 3; k++) {
		out0 = mthp_stat(64, "swpout");
		fb0 = mthp_stat(64, "swpout_fallback");
		p = map_tagged(bytes, 2UL << 20, k);
		ASSERT_NE(p, NULL);
		ASSERT_EQ(madvise(p, bytes, MADV_PAGEOUT), 0);
		EXPECT_EQ(mthp_stat(64, "swpout") - out0,
			  (long long)(bytes / fsz)) TH_LOG("round %zu", k);
		EXPECT_EQ(mthp_stat(64, "swpout_fallback") - fb0, 0);
		for (i = 0; i < bytes / fsz; i++) {
			pg = p + i * fsz + (rand() % 16) * PAGE;
			ASSERT_EQ(madvise(pg, PAGE, MADV_DONTNEED), 0);
			/* Zero-filled now: tag it again for bad_tags(). */
			for (b = 0; b < PAGE; b += 64)
				*(uint64_t *)(pg + b) = ((pg - p) / PAGE) *
					1000003ULL + (pg - p) + b + k;
		}
		for (i = 0; i < bytes / PAGE / 8; i++)
			sum += p[(rand() % (bytes / PAGE)) * PAGE + 8];
		EXPECT_EQ(bad_tags(p, bytes, k), 0);
		munmap(p, bytes);
	}
	TH_LOG("sum of the bytes read %lu", sum);
}

/*
 * swapoff with 16 MB still out (4 KB pages and 64 KB folios) brings every
 * page in intact; swapon again and the same memory swaps out again.
 */
TEST_F_TIMEOUT(swap, swapoff_with_pages_out, 120)
{
	const size_t bytes = 8UL << 20;
	unsigned char *a, *b;
	size_t i, out = 0;

	ASSERT_EQ(write_header(ZRAM_BYTES / PAGE - 1, NULL, 0), 0);
	ASSERT_EQ(swapon(ZDEV, 0), 0);
	a = map_tagged(bytes, PAGE, 11);
	set_mthp(64);
	b = map_tagged(bytes, 2UL << 20, 13);
	ASSERT_NE(a, NULL);
	ASSERT_NE(b, NULL);
	ASSERT_EQ(madvise(a, bytes, MADV_PAGEOUT), 0);
	ASSERT_EQ(madvise(b, bytes, MADV_PAGEOUT), 0);
	for (i = 0; i < bytes; i += PAGE)
		out += !!(pagemap(self->pm, a + i) & PM_SWAP) +
		       !!(pagemap(self->pm, b + i) & PM_SWAP);
	EXPECT_EQ(out, 2 * bytes / PAGE);
	ASSERT_EQ(swapoff(ZDEV), 0);
	for (i = 0; i < bytes; i += PAGE) {
		ASSERT_TRUE(pagemap(self->pm, a + i) & PM_PRESENT);
		ASSERT_TRUE(pagemap(self->pm, b + i) & PM_PRESENT);
	}
	EXPECT_EQ(bad_tags(a, bytes, 11), 0);
	EXPECT_EQ(bad_tags(b, bytes, 13), 0);
	ASSERT_EQ(swapon(ZDEV, 0), 0);
	ASSERT_EQ(madvise(a, bytes, MADV_PAGEOUT), 0);
	for (i = out = 0; i < bytes; i += PAGE)
		out += !!(pagemap(self->pm, a + i) & PM_SWAP);
	EXPECT_EQ(out, bytes / PAGE);
	EXPECT_EQ(bad_tags(a, bytes, 11), 0);
	munmap(a, bytes);
	munmap(b, bytes);
}

/*
 * potad.swap=0 leaves the devices swapped on from then on to the cluster
 * allocator of mm/swapfile.c: the device is not in POTAD's debugfs file
 * and pages still swap out and in intact; writing 1 again does not move
 * a device already on, the next swapon registers it with POTAD.
 */
TEST_F_TIMEOUT(swap, param_off, 120)
{
	const size_t bytes = 4UL << 20;
	const long long slots = ZRAM_BYTES / PAGE - 1;
	unsigned char *p;
	size_t i, out = 0;

	if (access(POTAD_SWAP, R_OK) || access(POTAD_SWAP_PARAM, W_OK))
		SKIP(return, "no %s or %s", POTAD_SWAP, POTAD_SWAP_PARAM);
	ASSERT_EQ(write_header(slots, NULL, 0), 0);
	ASSERT_EQ(write_str(POTAD_SWAP_PARAM, "0"), 0);
	ASSERT_EQ(swapon(ZDEV, 0), 0);
	EXPECT_EQ(read_key(POTAD_SWAP, "slots", ' '), -1);
	ASSERT_EQ(write_str(POTAD_SWAP_PARAM, "1"), 0);
	EXPECT_EQ(read_key(POTAD_SWAP, "slots", ' '), -1);
	p = map_tagged(bytes, PAGE, 17);
	ASSERT_NE(p, NULL);
	ASSERT_EQ(madvise(p, bytes, MADV_PAGEOUT), 0);
	for (i = 0; i < bytes; i += PAGE)
		out += !!(pagemap(self->pm, p + i) & PM_SWAP);
	EXPECT_EQ(out, bytes / PAGE);
	EXPECT_EQ(bad_tags(p, bytes, 17), 0);
	ASSERT_EQ(swapoff(ZDEV), 0);
	ASSERT_EQ(swapon(ZDEV, 0), 0);
	EXPECT_EQ(read_key(POTAD_SWAP, "slots", ' '), slots);
	munmap(p, bytes);
}

TEST_HARNESS_MAIN
