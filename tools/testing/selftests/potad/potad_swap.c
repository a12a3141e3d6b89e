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
 * still out brings them in intact.  Two cases use other devices or
 * limits: page discards on /dev/ram0 (CONFIG_BLK_DEV_RAM), and reclaim
 * under a memory cgroup's limit (CONFIG_MEMCG) rather than MADV_PAGEOUT.
 * The last case checks with kmemleak that swapon/swapoff cycles leak
 * nothing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "potad_swap_util.h"

#ifndef BIT_ULL
#define BIT_ULL(n)	(1ULL << (n))
#endif
/* include/linux/swap.h; glibc's sys/swap.h has only SWAP_FLAG_DISCARD. */
#ifndef SWAP_FLAG_DISCARD_PAGES
#define SWAP_FLAG_DISCARD_PAGES	0x40000
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

#define RAMDEV		"/dev/ram0"
#define CG		"/sys/fs/cgroup"
#define CG_TEST		CG "/potad_swap"

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
	swapoff(RAMDEV);
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

/* The tag map_tagged() wrote at the start of page @i, seed @seed. */
static uint64_t page_tag(size_t i, unsigned int seed)
{
	return i * 1000003ULL + i * PAGE + seed;
}

/* The first word of slot @off on the device @fd (O_DIRECT), or ~0. */
static uint64_t slot_word(int fd, uint64_t off, void *buf)
{
	if (pread(fd, buf, PAGE, off * PAGE) != (ssize_t)PAGE)
		return ~0ULL;
	return *(uint64_t *)buf;
}

/*
 * Page discards (SWAP_FLAG_DISCARD_PAGES, "swapon --discard=pages") on a
 * RAM disk, which frees what it is told to discard and reads it as zeros
 * since.  16 MB swapped out as 4 KB pages is on the disk, each page's tag
 * in its slot; once the memory is unmapped, every one of those slots (each
 * in a cluster now free again) reads as zeros; the same amount swaps out
 * again over the discarded clusters, and comes back intact.
 */
TEST_F_TIMEOUT(swap, page_discards, 120)
{
	const size_t bytes = 16UL << 20, nr = bytes / PAGE;
	long long sectors, tries;
	uint64_t *slots, e;
	unsigned int round;
	unsigned char *p;
	size_t i, left;
	void *buf;
	int fd;

	sectors = read_num("/sys/block/ram0/size");
	if (access(RAMDEV, W_OK) || sectors <= 0)
		SKIP(return, "no %s (CONFIG_BLK_DEV_RAM)", RAMDEV);
	if (access(POTAD_SWAP, R_OK))
		SKIP(return, "no %s", POTAD_SWAP);
	ASSERT_GE(sectors * 512, 2 * bytes);
	ASSERT_EQ(write_header_to(RAMDEV, sectors * 512 / PAGE - 1, NULL, 0),
		  0);
	ASSERT_EQ(swapon(RAMDEV, SWAP_FLAG_DISCARD | SWAP_FLAG_DISCARD_PAGES),
		  0);
	ASSERT_EQ(read_key(POTAD_SWAP, "discard", ' '), 1);
	fd = open(RAMDEV, O_RDONLY | O_DIRECT);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(posix_memalign(&buf, PAGE, PAGE), 0);
	slots = calloc(nr, sizeof(*slots));
	ASSERT_NE(slots, NULL);
	for (round = 0; round < 2; round++) {
		/* Each page table's swap entries one cluster, freed at once. */
		p = map_tagged(bytes, 2UL << 20, 21 + round);
		ASSERT_NE(p, NULL);
		ASSERT_EQ(madvise(p, bytes, MADV_PAGEOUT), 0);
		for (i = 0; i < nr; i++) {
			e = pagemap(self->pm, p + i * PAGE);
			ASSERT_TRUE(e & PM_SWAP) TH_LOG("round %u page %zu",
							round, i);
			slots[i] = swap_offset(e);
			ASSERT_EQ(slot_word(fd, slots[i], buf),
				  page_tag(i, 21 + round));
		}
		if (round)
			break;
		munmap(p, bytes);
		/* The discards are a work item's: wait for them, 10 s at most. */
		for (tries = 0; tries < 1000; tries++) {
			if (read_key(POTAD_SWAP, "discarded", ' ') >= (long long)nr)
				break;
			usleep(10000);
		}
		EXPECT_GE(read_key(POTAD_SWAP, "discarded", ' '), (long long)nr);
		for (i = left = 0; i < nr; i++)
			left += slot_word(fd, slots[i], buf) != 0;
		EXPECT_EQ(left, 0);
	}
	EXPECT_EQ(bad_tags(p, bytes, 22), 0);
	munmap(p, bytes);
	free(slots);
	free(buf);
	close(fd);
	EXPECT_EQ(swapoff(RAMDEV), 0);
}

/*
 * Reclaim under a memory cgroup's limit, not MADV_PAGEOUT: 32 MB of 64 KB
 * folios written by a task limited to 8 MB swap out whole to POTAD's runs
 * (the cgroup's swap usage grows, the mTHP counters and POTAD's order-4
 * runs with it) and come back intact.
 */
TEST_F_TIMEOUT(swap, memcg_reclaim, 180)
{
	const size_t bytes = 32UL << 20;
	long long out0, runs0, swapped;
	char pid[16];
	unsigned char *p;

	if (access(CG "/cgroup.controllers", R_OK)) {
		mkdir(CG, 0755);
		mount("cgroup2", CG, "cgroup2", 0, NULL);
	}
	if (access(CG "/cgroup.controllers", R_OK))
		SKIP(return, "no cgroup2 at %s", CG);
	if (write_str(CG "/cgroup.subtree_control", "+memory"))
		SKIP(return, "no memory controller (CONFIG_MEMCG)");
	if (mthp_stat(64, "swpout") < 0)
		SKIP(return, "no mTHP swap counters");
	ASSERT_EQ(write_header(ZRAM_BYTES / PAGE - 1, NULL, 0), 0);
	ASSERT_EQ(swapon(ZDEV, 0), 0);
	set_mthp(64);
	ASSERT_TRUE(!mkdir(CG_TEST, 0755) || errno == EEXIST);
	ASSERT_EQ(write_str(CG_TEST "/memory.max", "8M"), 0);
	out0 = mthp_stat(64, "swpout");
	runs0 = potad_runs(4);
	snprintf(pid, sizeof(pid), "%d", getpid());
	ASSERT_EQ(write_str(CG_TEST "/cgroup.procs", pid), 0);
	p = map_tagged(bytes, 2UL << 20, 31);
	swapped = read_num(CG_TEST "/memory.swap.current");
	EXPECT_EQ(write_str(CG "/cgroup.procs", pid), 0);
	ASSERT_NE(p, NULL);
	EXPECT_GE(swapped, (long long)(bytes / 2));
	EXPECT_GT(mthp_stat(64, "swpout") - out0, 0);
	EXPECT_TRUE(runs0 < 0 ||
		    potad_runs(4) - runs0 >= mthp_stat(64, "swpout") - out0);
	EXPECT_EQ(bad_tags(p, bytes, 31), 0);
	munmap(p, bytes);
	EXPECT_EQ(rmdir(CG_TEST), 0);
}

/*
 * Slots only the swap cache holds are reclaimed as swap fills, by POTAD
 * as by mm/swapfile.c (the same case with potad.swap=0).  7 MB swapped
 * out to a 16 MB device (seven 2 MB clusters and the header's) and read
 * back while a child still maps it goes through the swap cache; once the
 * child is gone its slots are held by the cache only (SwapCached), swap
 * being less than half full.  8 MB more swapped out use up the free
 * clusters with swap more than half full: the next cluster needed is a
 * full one whose cache-only slots are reclaimed, SwapCached falls by most
 * of a cluster's 2 MB, and all of the memory is intact.
 */
static void reclaim_cache_only(struct __test_metadata *_metadata, int pm,
			       bool potad)
{
	const size_t abytes = 7UL << 20, bbytes = 8UL << 20;
	long long cached0, cached, reclaimed;
	unsigned char *a, *b;
	int go[2], status;
	size_t i, out;
	pid_t child;
	char c = 0;

	ASSERT_EQ(write_header((16UL << 20) / PAGE - 1, NULL, 0), 0);
	ASSERT_EQ(swapon(ZDEV, 0), 0);
	a = map_tagged(abytes, PAGE, 41);
	b = map_tagged(bbytes, PAGE, 43);
	ASSERT_NE(a, NULL);
	ASSERT_NE(b, NULL);
	ASSERT_EQ(madvise(a, abytes, MADV_PAGEOUT), 0);
	ASSERT_EQ(pipe(go), 0);
	child = fork();
	ASSERT_GE(child, 0);
	if (!child) {
		/* Holds a second reference on each of a's slots until told. */
		close(go[1]);
		_exit(read(go[0], &c, 1) == 1 ? 0 : 1);
	}
	close(go[0]);
	EXPECT_EQ(bad_tags(a, abytes, 41), 0);
	ASSERT_EQ(write(go[1], &c, 1), 1);
	ASSERT_EQ(waitpid(child, &status, 0), child);
	close(go[1]);
	cached0 = read_key("/proc/meminfo", "SwapCached:", ' ');
	/* kB: most of a is in the cache, its slots held by it only. */
	EXPECT_GE(cached0, (long long)(abytes / 1024 * 3 / 4));
	ASSERT_EQ(madvise(b, bbytes, MADV_PAGEOUT), 0);
	for (i = out = 0; i < bbytes; i += PAGE)
		out += !!(pagemap(pm, b + i) & PM_SWAP);
	EXPECT_EQ(out, bbytes / PAGE);
	cached = read_key("/proc/meminfo", "SwapCached:", ' ');
	/* kB: most of a cluster's 2 MB (some of a may not be cached). */
	EXPECT_LE(cached, cached0 - 1536) TH_LOG("SwapCached %lld kB, was %lld kB",
						 cached, cached0);
	EXPECT_EQ(bad_tags(a, abytes, 41), 0);
	EXPECT_EQ(bad_tags(b, bbytes, 43), 0);
	/* POTAD did it, or mm/swapfile.c did: the device is not POTAD's. */
	reclaimed = read_key(POTAD_SWAP, "reclaimed", ' ');
	EXPECT_TRUE(potad ? reclaimed > 0 : reclaimed == -1)
		TH_LOG("reclaimed %lld", reclaimed);
	munmap(a, abytes);
	munmap(b, bbytes);
	EXPECT_EQ(swapoff(ZDEV), 0);
}

TEST_F_TIMEOUT(swap, reclaim_cache_only, 120)
{
	if (access(POTAD_SWAP, R_OK))
		SKIP(return, "no %s", POTAD_SWAP);
	reclaim_cache_only(_metadata, self->pm, true);
}

TEST_F_TIMEOUT(swap, reclaim_cache_only_stock, 120)
{
	if (access(POTAD_SWAP_PARAM, W_OK))
		SKIP(return, "no %s", POTAD_SWAP_PARAM);
	ASSERT_EQ(write_str(POTAD_SWAP_PARAM, "0"), 0);
	reclaim_cache_only(_metadata, self->pm, false);
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

#define KMEMLEAK	"/sys/kernel/debug/kmemleak"

/*
 * The objects kmemleak reports unreferenced whose allocation backtrace
 * runs through POTAD or the swap code, each logged; other reports (from
 * the rest of the kernel) are not this test's and are not counted.  Only
 * the backtrace is matched: the "comm" line names this test.
 */
static int swap_leaks(struct __test_metadata *_metadata)
{
	char line[256], block[4096] = "";
	size_t len = 0;
	int leaks = 0, ours = 0, bt = 0;
	FILE *f;

	f = fopen(KMEMLEAK, "r");
	if (!f)
		return -1;
	for (;;) {
		bool end = !fgets(line, sizeof(line), f);

		if (end || !strncmp(line, "unreferenced object", 19)) {
			if (ours) {
				leaks++;
				TH_LOG("%s", block);
			}
			if (end)
				break;
			len = 0;
			block[0] = 0;
			ours = 0;
			bt = 0;
		}
		if (strstr(line, "backtrace"))
			bt = 1;
		else if (bt && (strstr(line, "potad") || strstr(line, "swap")))
			ours = 1;
		len += snprintf(block + len, sizeof(block) - len, "%s", line);
		if (len >= sizeof(block))
			len = sizeof(block) - 1;
	}
	fclose(f);
	return leaks;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * swapon/swapoff cycles leak nothing (CONFIG_DEBUG_KMEMLEAK, booted with
 * kmemleak=on, else skipped).  Each cycle swaps a device on (zram, or
 * /dev/ram0 with page discards, so clusters are held and discarded), pages
 * out 4 KB pages and 64 KB folios, reads one page of each folio back,
 * drops half the folios while swapped out (partial and whole frees), and
 * swaps off with the rest still out; the data comes back intact.  Then
 * kmemleak scans (twice: an object whose contents changed since the
 * previous scan is not reported) and no unreferenced object allocated in
 * POTAD or the swap code may be left.  Before the cycles, two scans and
 * "clear" set aside what was unreferenced already (the boot's).  kmemleak
 * reports only objects at least 5 s old, so the cycles go on until 8 s
 * have passed since the first two ended: what a cycle leaks, one of those
 * (zram, then /dev/ram0) leaked too.  The descriptors have their own
 * check: when the last device goes, kmem_cache_destroy() warns about any
 * still allocated, which fails the boot.
 */
TEST_F_TIMEOUT(swap, swapon_swapoff_no_leak, 300)
{
	const size_t bytes = 8UL << 20;
	long long sectors = read_num("/sys/block/ram0/size");
	bool ram = !access(RAMDEV, W_OK) && sectors * 512 >= 4 * (long long)bytes;
	unsigned int cycle;
	unsigned char *a, *b;
	double first = 0;
	size_t i;

	if (write_str(KMEMLEAK, "scan=off"))
		SKIP(return, "kmemleak is off (CONFIG_DEBUG_KMEMLEAK, kmemleak=on)");
	ASSERT_EQ(write_str(KMEMLEAK, "scan"), 0);
	ASSERT_EQ(write_str(KMEMLEAK, "scan"), 0);
	ASSERT_EQ(write_str(KMEMLEAK, "clear"), 0);
	for (cycle = 0; cycle < 4 || now_s() - first < 8; cycle++) {
		bool disc = ram && cycle % 2;
		const char *dev = disc ? RAMDEV : ZDEV;

		ASSERT_EQ(write_header_to(dev, disc ? sectors * 512 / PAGE - 1 :
					  ZRAM_BYTES / PAGE - 1, NULL, 0), 0);
		ASSERT_EQ(swapon(dev, disc ? SWAP_FLAG_DISCARD |
				 SWAP_FLAG_DISCARD_PAGES : 0), 0);
		set_mthp(64);
		a = map_tagged(bytes, 2UL << 20, 31 + cycle);
		set_mthp(0);
		b = map_tagged(bytes, PAGE, 61 + cycle);
		ASSERT_NE(a, NULL);
		ASSERT_NE(b, NULL);
		ASSERT_EQ(madvise(a, bytes, MADV_PAGEOUT), 0);
		ASSERT_EQ(madvise(b, bytes, MADV_PAGEOUT), 0);
		for (i = 0; i < bytes; i += 64 << 10)
			ASSERT_EQ(*(uint64_t *)(a + i), (i / PAGE) * 1000003ULL +
				  i + 31 + cycle);
		ASSERT_EQ(madvise(a + bytes / 2, bytes / 2, MADV_DONTNEED), 0);
		ASSERT_EQ(swapoff(dev), 0) TH_LOG("cycle %u: %s", cycle, dev);
		EXPECT_EQ(bad_tags(a, bytes / 2, 31 + cycle), 0);
		EXPECT_EQ(bad_tags(b, bytes, 61 + cycle), 0);
		munmap(a, bytes);
		munmap(b, bytes);
		if (cycle == 1)
			first = now_s();
	}
	ASSERT_EQ(write_str(KMEMLEAK, "scan"), 0);
	ASSERT_EQ(write_str(KMEMLEAK, "scan"), 0);
	EXPECT_EQ(swap_leaks(_metadata), 0) TH_LOG("%u cycles", cycle);
}

TEST_HARNESS_MAIN
