// SPDX-License-Identifier: GPL-2.0
/*
 * POTAD-CMA kselftest (CONFIG_POTAD_CMA, a CMA area from cma=): drive the
 * default area through its debugfs files, /sys/kernel/debug/cma/<area>/.
 *
 * "ladder" (mm/potad_cma.c's test interface) allocates with cma_alloc()
 * and releases with cma_release(); "potad" shows the rung that served each
 * allocation, the free blocks and the memory failures; "alloc", "free",
 * "used", "maxchunk" and "bitmap" are cma_debug.c's, read from the POTAD
 * instance.  The tests check the seed's ladder rung by rung on a
 * fragmented area, churn over sizes and alignments with the counters kept
 * consistent, and poison a page inside an allocation through
 * hwpoison-inject, of the default area and of a gigantic hugetlb folio of
 * the hugetlb_cma area (hugetlb0), free in the pool or in use.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <linux/memfd.h>

#include "../kselftest_harness.h"
#include "potad_util.h"

#define CMA_DIR		"/sys/kernel/debug/cma"
#define HWPOISON	"/sys/kernel/debug/hwpoison"
#define MAX_ALLOCS	1024
#define MB_PAGES	256UL	/* 1 MB of 4 KB pages */

struct alloc {
	unsigned long pfn, count;
};

static char area[256];

/* The directory of the default area ("reserved", from cma=). */
static int find_area(void)
{
	snprintf(area, sizeof(area), CMA_DIR "/reserved");
	return access(area, R_OK) ? -1 : 0;
}

static const char *file(const char *name)
{
	static char path[320];

	snprintf(path, sizeof(path), "%s/%s", area, name);
	return path;
}

static long long read_ll(const char *name)
{
	return read_num(file(name));
}

/* A "key value" line of the "potad" file, or -1. */
static long long stat_ll(const char *key)
{
	return read_key(file("potad"), key, ' ');
}

/* Requests served by rung @r ("rung 3 (8 chunks) N"). */
static long long rung_count(int r)
{
	FILE *f = fopen(file("potad"), "r");
	char line[256];
	long long v = -1, n;
	int got;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "rung %d%*[+] (%*[^)]) %lli", &got, &n) == 2 ||
		    sscanf(line, "rung %d (%*[^)]) %lli", &got, &n) == 2)
			if (got == r)
				v = n;
	fclose(f);
	return v;
}

/*
 * The pages, rung and poisoned pfn the "potad" file shows for the alloc at
 * *@pfn, or for its first one if *@pfn is 0 (*@pfn is then set).
 */
static int alloc_info_of(unsigned long *pfn, unsigned long *pages, int *rung,
			 unsigned long *poisoned)
{
	FILE *f = fopen(file("potad"), "r");
	unsigned long p, n, poi;
	char line[512];
	int r, found = -1;

	if (!f)
		return -1;
	while (found && fgets(line, sizeof(line), f))
		if (sscanf(line, "alloc pfn %lx pages %lu rung %d poisoned %lx",
			   &p, &n, &r, &poi) == 4 && (!*pfn || p == *pfn)) {
			*pfn = p;
			*pages = n;
			*rung = r;
			*poisoned = poi;
			found = 0;
		}
	fclose(f);
	return found;
}

/* The pages of the alloc at @pfn a memory failure reached, or -1. */
static long long nr_poisoned(unsigned long pfn)
{
	FILE *f = fopen(file("potad"), "r");
	unsigned long p, n;
	long long v = -1;
	char line[512];

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "alloc pfn %lx pages %*u rung %*d poisoned %*x poisoned_pages %lu",
			   &p, &n) == 2 && p == pfn)
			v = n;
	fclose(f);
	return v;
}

/* The rung and poisoned pfn the "potad" file shows for the alloc at @pfn. */
static int alloc_info(unsigned long pfn, int *rung, unsigned long *poisoned)
{
	unsigned long pages;

	return alloc_info_of(&pfn, &pages, rung, poisoned);
}

static int ladder(const char *fmt, unsigned long a, unsigned long b)
{
	char s[96];

	snprintf(s, sizeof(s), fmt, a, b);
	return write_str(file("ladder"), s);
}

/* What "ladder" holds, in allocation order. */
static int held(struct alloc *a, int max)
{
	FILE *f = fopen(file("ladder"), "r");
	int n = 0;

	if (!f)
		return -1;
	while (n < max && fscanf(f, "%lx %lu", &a[n].pfn, &a[n].count) == 2)
		n++;
	fclose(f);
	return n;
}

/* Set bits of the "bitmap" file: units not free. */
static long long bitmap_weight(void)
{
	FILE *f = fopen(file("bitmap"), "r");
	unsigned long long w;
	long long n = 0;

	if (!f)
		return -1;
	while (fscanf(f, "%llu", &w) == 1)
		n += __builtin_popcountll(w);
	fclose(f);
	return n;
}

FIXTURE(cma) {
	struct alloc *a;
	long long used0;
};

FIXTURE_SETUP(cma)
{
	if (find_area())
		SKIP(return, "no CMA area %s (boot with cma=)", area);
	if (access(file("ladder"), W_OK))
		SKIP(return, "%s missing (CONFIG_POTAD_CMA)", file("ladder"));
	self->a = calloc(MAX_ALLOCS, sizeof(*self->a));
	ASSERT_NE(self->a, NULL);
	ASSERT_EQ(write_str(file("ladder"), "free\n"), 0);
	ASSERT_EQ(read_ll("order_per_bit"), 0);
	self->used0 = read_ll("used");
	ASSERT_GE(self->used0, 0);
}

FIXTURE_TEARDOWN(cma)
{
	write_str(file("ladder"), "free\n");
	free(self->a);
}

/*
 * "8 MB at 1 MB" on an area cut into 1 MB allocations: with a window of
 * eight free 1 MB chunks starting at a multiple of 8, 4, 2 or 1 MB (and
 * no better one anywhere), the request is served by rung 0, 1, 2 or 3 at
 * exactly that window; with no window, it fails.
 */
TEST_F(cma, ladder_rungs)
{
	int want, n, i, j, rung;
	unsigned long poisoned;

	/* Take every free 1 MB-aligned MB of the area. */
	while (!ladder("%lu %lu\n", MB_PAGES, 8))
		;
	n = held(self->a, MAX_ALLOCS);
	ASSERT_GE(n, 16);
	/* A full area: 8 MB at 1 MB has nowhere to go. */
	EXPECT_EQ(ladder("%lu %lu\n", 8 * MB_PAGES, 8), ENOMEM);

	for (want = 3; want >= 0; want--) {
		/* Window start: a multiple of 2^(3 - want) MB, not of twice it. */
		unsigned long step = MB_PAGES << (3 - want), start = 0;
		long long before = rung_count(want);
		int got = 0;

		for (i = 0; i + 8 <= n && !got; i++) {
			if (self->a[i].pfn % step ||
			    (want && !(self->a[i].pfn % (2 * step))))
				continue;
			/* Eight of ours, adjacent. */
			for (j = 1; j < 8; j++)
				if (self->a[i + j].pfn != self->a[i].pfn +
				    j * MB_PAGES)
					break;
			if (j == 8) {
				start = self->a[i].pfn;
				got = 1;
			}
		}
		ASSERT_TRUE(got) TH_LOG("no window for rung %d", want);
		for (j = 0; j < 8; j++)
			ASSERT_EQ(ladder("release %#lx %lu\n",
					 start + j * MB_PAGES, MB_PAGES), 0);
		ASSERT_EQ(ladder("%lu %lu\n", 8 * MB_PAGES, 8), 0);
		ASSERT_EQ(alloc_info(start, &rung, &poisoned), 0)
			TH_LOG("8 MB not at the window %#lx", start);
		EXPECT_EQ(rung, want);
		EXPECT_EQ(rung_count(want), before + 1);
		/* Give the window back as 1 MB pieces for the next rung. */
		ASSERT_EQ(ladder("release %#lx %lu\n", start, 8 * MB_PAGES), 0);
		for (j = 0; j < 8; j++)
			ASSERT_EQ(ladder("%lu %lu\n", MB_PAGES, 8), 0);
		n = held(self->a, MAX_ALLOCS);
		/* Re-sorted by address for the next search. */
		for (i = 1; i < n; i++)
			for (j = i; j > 0 && self->a[j - 1].pfn > self->a[j].pfn;
			     j--) {
				struct alloc t = self->a[j];

				self->a[j] = self->a[j - 1];
				self->a[j - 1] = t;
			}
	}
	ASSERT_EQ(write_str(file("ladder"), "free\n"), 0);
	EXPECT_EQ(read_ll("used"), self->used0);
}

/*
 * Churn over sizes and alignments: every allocation is aligned as asked,
 * "used" and the "bitmap" file count exactly what is out, "maxchunk"
 * never exceeds the free pages, and everything comes back.
 */
TEST_F(cma, churn)
{
	static const unsigned long sizes[] = { 1, 3, 8, 17, 64, 100, 256, 513,
					       1024, 2048 };
	unsigned long out = 0, total = read_ll("count");
	int round, n, i;

	srandom(42);
	for (round = 0; round < 300; round++) {
		unsigned long count = sizes[random() % 10];
		unsigned int align = random() % 10;

		if (random() % 3 == 0 && out) {
			n = held(self->a, MAX_ALLOCS);
			ASSERT_GT(n, 0);
			i = random() % n;
			ASSERT_EQ(ladder("release %#lx %lu\n", self->a[i].pfn,
					 self->a[i].count), 0);
			out -= self->a[i].count;
			continue;
		}
		if (!ladder("%lu %lu\n", count, align)) {
			out += count;
			n = held(self->a, MAX_ALLOCS);
			ASSERT_GT(n, 0);
			EXPECT_EQ(self->a[n - 1].count, count);
			EXPECT_EQ(self->a[n - 1].pfn % (1UL << align), 0)
				TH_LOG("pfn %#lx, align %u", self->a[n - 1].pfn,
				       align);
		}
		EXPECT_EQ(read_ll("used"), self->used0 + (long long)out);
		if (round % 25 == 0)
			EXPECT_EQ(bitmap_weight(), self->used0 + (long long)out);
		EXPECT_LE(read_ll("maxchunk"), (long long)(total - out -
							   self->used0));
	}
	ASSERT_EQ(write_str(file("ladder"), "free\n"), 0);
	EXPECT_EQ(read_ll("used"), self->used0);
	EXPECT_EQ(bitmap_weight(), self->used0);
}

/* cma_debug.c's own "alloc" and "free" files work unchanged. */
TEST_F(cma, debugfs_alloc_free)
{
	char s[32];

	snprintf(s, sizeof(s), "%d\n", 100);
	ASSERT_EQ(write_str(file("alloc"), s), 0);
	EXPECT_EQ(read_ll("used"), self->used0 + 100);
	ASSERT_EQ(write_str(file("alloc"), s), 0);
	EXPECT_EQ(read_ll("used"), self->used0 + 200);
	/* Whole allocations only, one at a time here. */
	ASSERT_EQ(write_str(file("free"), s), 0);
	EXPECT_EQ(read_ll("used"), self->used0 + 100);
	ASSERT_EQ(write_str(file("free"), s), 0);
	EXPECT_EQ(read_ll("used"), self->used0);
}

/* A release outside the area: refused, nothing changed. */
TEST_F(cma, release_outside)
{
	ASSERT_EQ(ladder("%lu %lu\n", 1, 0), 0);
	ASSERT_EQ(held(self->a, MAX_ALLOCS), 1);
	/* pfn 0x1000 (16 MB): below the area cma= reserves at the top. */
	EXPECT_EQ(ladder("release %#lx %lu\n", 0x1000, 1), EINVAL);
	EXPECT_EQ(read_ll("used"), self->used0 + 1);
	EXPECT_EQ(ladder("release %#lx %lu\n", self->a[0].pfn, 1), 0);
	EXPECT_EQ(read_ll("used"), self->used0);
}

/*
 * A page poisoned inside a CMA allocation: the owner's record shows the
 * pfn, the failure is counted once however often it is reported, and the
 * poisoned unit stays out when the allocation is released, until
 * unpoison-pfn puts it back into service.
 */
TEST_F(cma, memory_failure)
{
	unsigned long pfn, poisoned = 0;
	long long mf, retired;
	char s[32];
	int rung;

	if (access(HWPOISON "/corrupt-pfn", W_OK))
		SKIP(return, "hwpoison-inject missing");
	ASSERT_EQ(ladder("%lu %lu\n", 16, 4), 0);
	ASSERT_EQ(held(self->a, MAX_ALLOCS), 1);
	pfn = self->a[0].pfn;
	mf = stat_ll("memory_failures");
	retired = stat_ll("retired_units");
	ASSERT_GE(mf, 0);

	/*
	 * memory_failure() tells the owner, then the stock path finds a
	 * page it cannot handle (a driver's): the write's error is its.
	 */
	snprintf(s, sizeof(s), "%#lx\n", pfn + 5);
	write_str(HWPOISON "/corrupt-pfn", s);
	/* Twice: the unit is retired already, no one told; -EHWPOISON. */
	EXPECT_NE(write_str(HWPOISON "/corrupt-pfn", s), 0);
	EXPECT_EQ(stat_ll("memory_failures"), mf + 1);
	/* Still the owner's: it leaves the space when released. */
	EXPECT_EQ(stat_ll("retired_units"), retired);
	ASSERT_EQ(alloc_info(pfn, &rung, &poisoned), 0);
	EXPECT_EQ(poisoned, pfn + 5);
	EXPECT_EQ(nr_poisoned(pfn), 1);
	/* Not while the allocation holds it. */
	EXPECT_EQ(write_str(HWPOISON "/unpoison-pfn", s), EBUSY);
	/* Released: 15 pages back, the poisoned one never. */
	ASSERT_EQ(ladder("release %#lx %lu\n", pfn, 16), 0);
	EXPECT_EQ(read_ll("used"), self->used0 + 1);
	EXPECT_EQ(stat_ll("retired_units"), retired + 1);
	ASSERT_EQ(write_str(HWPOISON "/unpoison-pfn", s), 0);
	EXPECT_EQ(stat_ll("retired_units"), retired);
	EXPECT_EQ(read_ll("used"), self->used0);
	/* The lowest 16 at 16 again: alloc_contig_range() over the page. */
	ASSERT_EQ(ladder("%lu %lu\n", 16, 4), 0);
	ASSERT_EQ(held(self->a, MAX_ALLOCS), 1);
	EXPECT_EQ(self->a[0].pfn, pfn);
}

#define HUGE_1G		"/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages"
#define HUGE_1G_FREE	"/sys/kernel/mm/hugepages/hugepages-1048576kB/free_hugepages"
#define HCMA_SYS	"/sys/kernel/mm/cma/hugetlb0"
#define PAGES_1G	262144LL

/* Does a kernel log record written after @fd was opened contain @s? */
static int kmsg_has(int fd, const char *s)
{
	char rec[1024];
	ssize_t n;
	int found = 0;

	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* records overwritten meanwhile */
		if (n <= 0)
			break;
		rec[n] = 0;
		if (strstr(rec, s))
			found = 1;
	}
	return found;
}

/*
 * A page poisoned inside a gigantic hugetlb folio of the hugetlb_cma area
 * (hugetlb_cma=1G), free in the pool: memory_failure() tells the area's
 * record of the allocation first (counted once, logged with the pfn, the
 * page's place in the allocation and the caller), then hugetlb's handling
 * dissolves the folio and releases it.  Freed whole, the folio leaves the
 * poisoned page to the buddy allocator and memory_failure() (which takes
 * it off), as with the stock allocator: the whole area is free again, and
 * after unpoison-pfn it serves a 1 GB page again.
 */
TEST(hugetlb_cma_memory_failure)
{
	long long nr, success, release, mf, retired, hwc;
	long long kb = sysconf(_SC_PAGESIZE) / 1024;
	unsigned long pfn = 0, pages, poisoned;
	char s[160];
	int kmsg, rung;

	snprintf(area, sizeof(area), CMA_DIR "/hugetlb0");
	if (access(file("potad"), R_OK) || access(HUGE_1G, W_OK) ||
	    access(HWPOISON "/corrupt-pfn", W_OK))
		SKIP(return, "no hugetlb0 (hugetlb_cma=1G), 1 GB pages or hwpoison-inject");
	if (read_ll("used"))
		SKIP(return, "hugetlb0 is in use");
	nr = read_num(HUGE_1G);
	success = read_num(HCMA_SYS "/alloc_pages_success");
	release = read_num(HCMA_SYS "/release_pages_success");
	mf = stat_ll("memory_failures");
	retired = stat_ll("retired_units");
	hwc = read_key("/proc/meminfo", "HardwareCorrupted", ':');
	ASSERT_GE(nr, 0);
	ASSERT_GE(hwc, 0);
	ASSERT_GE(mf, 0);

	/* hugetlb takes a gigantic folio from its CMA area first. */
	snprintf(s, sizeof(s), "%lld", nr + 1);
	ASSERT_EQ(write_str(HUGE_1G, s), 0);
	ASSERT_EQ(read_num(HUGE_1G), nr + 1);
	ASSERT_EQ(read_num(HCMA_SYS "/alloc_pages_success"), success + PAGES_1G);
	ASSERT_EQ(alloc_info_of(&pfn, &pages, &rung, &poisoned), 0);
	EXPECT_EQ(rung, 0);
	EXPECT_EQ(pages, PAGES_1G);
	EXPECT_EQ(poisoned, 0);

	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	ASSERT_GE(kmsg, 0);
	lseek(kmsg, 0, SEEK_END);
	snprintf(s, sizeof(s), "%#lx\n", pfn + 1000);
	/* The result is hugetlb's: the free folio is dissolved. */
	EXPECT_EQ(write_str(HWPOISON "/corrupt-pfn", s), 0);
	EXPECT_EQ(stat_ll("memory_failures"), mf + 1);
	/* One page counted poisoned, by memory_failure(), once. */
	EXPECT_EQ(read_key("/proc/meminfo", "HardwareCorrupted", ':'), hwc + kb);
	snprintf(s, sizeof(s),
		 "cma: hugetlb0: memory failure at pfn %#lx, page 1000 of %lld allocated at pfn %#lx by ",
		 pfn + 1000, PAGES_1G, pfn);
	EXPECT_TRUE(kmsg_has(kmsg, s)) TH_LOG("no \"%s\" in the log", s);
	close(kmsg);
	EXPECT_EQ(read_num(HUGE_1G), nr);
	EXPECT_EQ(read_num(HCMA_SYS "/release_pages_success"),
		  release + PAGES_1G);
	/* Released whole: every unit back in the area. */
	EXPECT_EQ(read_ll("used"), 0);
	EXPECT_EQ(stat_ll("retired_units"), retired);

	/* Twice: -EHWPOISON (the page is poisoned already), no one told. */
	snprintf(s, sizeof(s), "%#lx\n", pfn + 1000);
	EXPECT_NE(write_str(HWPOISON "/corrupt-pfn", s), 0);
	EXPECT_EQ(stat_ll("memory_failures"), mf + 1);

	EXPECT_EQ(read_key("/proc/meminfo", "HardwareCorrupted", ':'), hwc + kb);
	ASSERT_EQ(write_str(HWPOISON "/unpoison-pfn", s), 0);
	EXPECT_EQ(read_key("/proc/meminfo", "HardwareCorrupted", ':'), hwc);
	/* The whole area serves the gigantic folio again. */
	snprintf(s, sizeof(s), "%lld", nr + 1);
	ASSERT_EQ(write_str(HUGE_1G, s), 0);
	EXPECT_EQ(read_num(HCMA_SYS "/alloc_pages_success"),
		  success + 2 * PAGES_1G);
	snprintf(s, sizeof(s), "%lld", nr);
	ASSERT_EQ(write_str(HUGE_1G, s), 0);
	EXPECT_EQ(read_ll("used"), 0);
}

/* The pfn of the page mapped at @p, from /proc/self/pagemap, or 0. */
static unsigned long pfn_of(const void *p)
{
	long psz = sysconf(_SC_PAGESIZE);
	uint64_t e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return 0;
	if (pread(fd, &e, sizeof(e), (unsigned long)p / psz * sizeof(e)) !=
	    sizeof(e))
		e = 0;
	close(fd);
	/* Bit 63: present; bits 0-54: the pfn. */
	return e >> 63 ? e & ((1ULL << 55) - 1) : 0;
}

/*
 * A gigantic hugetlb_cma folio in use, in a hugetlbfs file (memfd), so
 * that it stays in the file when poisoned: two pages of one unit
 * poisoned (hugetlb_cma's unit is a 2 MB page), the first twice.  The
 * area's record of the allocation is told of each page once (two log
 * lines, two pages in the record, HardwareCorrupted two pages up).
 * memory_failure() keeps its reference on the folio after the file is
 * gone, as with the stock allocator, so the allocation stays until
 * unpoison-pfn of the folio's head drops it; the pool then shrinks, the
 * folio is released whole, the area is free, and it serves a 1 GB page
 * again.
 */
TEST(hugetlb_cma_memory_failure_in_use)
{
	long long nr, success, release, mf, hwc;
	long long kb = sysconf(_SC_PAGESIZE) / 1024;
	unsigned long pfn = 0, pages, poisoned;
	const size_t size = 1UL << 30;
	long long retired, unit;
	unsigned long at[3];
	int fd, kmsg[2], rung, i;
	char s[160], *p;

	snprintf(area, sizeof(area), CMA_DIR "/hugetlb0");
	if (access(file("potad"), R_OK) || access(HUGE_1G, W_OK) ||
	    access(HWPOISON "/corrupt-pfn", W_OK))
		SKIP(return, "no hugetlb0 (hugetlb_cma=1G), 1 GB pages or hwpoison-inject");
	if (read_ll("used"))
		SKIP(return, "hugetlb0 is in use");
	/* The folio the file gets must be the one raised here. */
	if (read_num(HUGE_1G_FREE))
		SKIP(return, "free 1 GB pages in the pool already");
	unit = stat_ll("unit_pages");
	if (unit < 2)
		SKIP(return, "hugetlb0 has units of one page");
	/* Two pages of one unit, the first twice. */
	at[0] = 1000;
	at[1] = 1000;
	at[2] = 1000 / unit * unit + 1001 % unit;
	/* Not killed when the page is unmapped: told when it is used. */
	ASSERT_EQ(prctl(PR_MCE_KILL, PR_MCE_KILL_SET, PR_MCE_KILL_LATE, 0, 0), 0);
	nr = read_num(HUGE_1G);
	success = read_num(HCMA_SYS "/alloc_pages_success");
	release = read_num(HCMA_SYS "/release_pages_success");
	mf = stat_ll("memory_failures");
	retired = stat_ll("retired_units");
	hwc = read_key("/proc/meminfo", "HardwareCorrupted", ':');
	ASSERT_GE(nr, 0);
	ASSERT_GE(hwc, 0);
	ASSERT_GE(mf, 0);
	ASSERT_GE(retired, 0);
	snprintf(s, sizeof(s), "%lld", nr + 1);
	ASSERT_EQ(write_str(HUGE_1G, s), 0);
	ASSERT_EQ(read_num(HCMA_SYS "/alloc_pages_success"), success + PAGES_1G);
	ASSERT_EQ(alloc_info_of(&pfn, &pages, &rung, &poisoned), 0);

	fd = memfd_create("potad_cma", MFD_HUGETLB | MFD_HUGE_1GB);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(ftruncate(fd, size), 0);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(p, MAP_FAILED);
	p[0] = 1;
	/* The pool's one free 1 GB folio: the area's allocation. */
	ASSERT_EQ(pfn_of(p), pfn);
	ASSERT_EQ(pfn_of(p + 1000 * sysconf(_SC_PAGESIZE)), pfn + 1000);

	/* One reader per line looked for: kmsg_has() reads to the end. */
	for (i = 0; i < 2; i++) {
		kmsg[i] = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
		ASSERT_GE(kmsg[i], 0);
		lseek(kmsg[i], 0, SEEK_END);
	}
	/* The results are hugetlb's: "already poisoned" after the first. */
	for (i = 0; i < 3; i++) {
		snprintf(s, sizeof(s), "%#lx\n", pfn + at[i]);
		write_str(HWPOISON "/corrupt-pfn", s);
	}
	EXPECT_EQ(stat_ll("memory_failures"), mf + 2);
	EXPECT_EQ(nr_poisoned(pfn), 2);
	ASSERT_EQ(alloc_info(pfn, &rung, &poisoned), 0);
	EXPECT_EQ(poisoned, pfn + 1000);
	EXPECT_EQ(read_key("/proc/meminfo", "HardwareCorrupted", ':'),
		  hwc + 2 * kb);
	for (i = 0; i < 2; i++) {
		snprintf(s, sizeof(s),
			 "cma: hugetlb0: memory failure at pfn %#lx, page %lu of %lld allocated at pfn %#lx by ",
			 pfn + at[i + 1], at[i + 1], PAGES_1G, pfn);
		EXPECT_TRUE(kmsg_has(kmsg[i], s)) TH_LOG("no \"%s\" in the log", s);
		close(kmsg[i]);
	}

	/* memory_failure() holds the folio: it is not back in the pool. */
	munmap(p, size);
	close(fd);
	EXPECT_EQ(read_num(HUGE_1G_FREE), 0);
	/* Unpoisoned at its head: hugetlb forgets both pages, frees it. */
	snprintf(s, sizeof(s), "%#lx\n", pfn);
	ASSERT_EQ(write_str(HWPOISON "/unpoison-pfn", s), 0);
	EXPECT_EQ(read_key("/proc/meminfo", "HardwareCorrupted", ':'), hwc);
	snprintf(s, sizeof(s), "%lld", nr);
	ASSERT_EQ(write_str(HUGE_1G, s), 0);
	EXPECT_EQ(read_num(HUGE_1G), nr);
	EXPECT_EQ(read_num(HCMA_SYS "/release_pages_success"),
		  release + PAGES_1G);
	/* Released whole: every unit back, the record gone with it. */
	EXPECT_EQ(read_ll("used"), 0);
	EXPECT_EQ(stat_ll("retired_units"), retired);
	EXPECT_EQ(nr_poisoned(pfn), -1);
	snprintf(s, sizeof(s), "%lld", nr + 1);
	ASSERT_EQ(write_str(HUGE_1G, s), 0);
	EXPECT_EQ(read_num(HCMA_SYS "/alloc_pages_success"),
		  success + 2 * PAGES_1G);
	snprintf(s, sizeof(s), "%lld", nr);
	ASSERT_EQ(write_str(HUGE_1G, s), 0);
	EXPECT_EQ(read_ll("used"), 0);
}

TEST_HARNESS_MAIN
