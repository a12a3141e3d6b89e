// SPDX-License-Identifier: GPL-2.0
/*
 * POTAD memory-failure kselftest: poison buffers of the sample buffer
 * cache (samples/potad/potad_buf.c, CONFIG_SAMPLE_POTAD_BUF) through
 * hwpoison-inject (CONFIG_HWPOISON_INJECT) and check that the owner was
 * told, with the right offset, once; that the page is never handed out
 * again; and that unpoison-pfn gives it back once the owner freed it.
 * madvise(MADV_HWPOISON) on a mapped buffer: the owner is told with
 * MF_ACTION_REQUIRED and unmaps the page, so touching it gets SIGBUS.
 * Soft offline (the memory sysfs soft_offline_page file and
 * MADV_SOFT_OFFLINE): the owner moves a buffer nobody maps, and refuses
 * one that is mapped, which then stays in service.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "../kselftest_harness.h"
#include "potad_util.h"

#define BUF_DIR		"/sys/kernel/debug/potad_buf"
#define BUF_CTL		BUF_DIR "/ctl"
#define HWPOISON	"/sys/kernel/debug/hwpoison"
#define POTAD_TEST	"/sys/kernel/debug/potad/test"
#define SOFT_OFFLINE	"/sys/devices/system/memory/soft_offline_page"
/* include/uapi/asm-generic/mman-common.h, for an older libc */
#ifndef MADV_HWPOISON
#define MADV_HWPOISON		100
#endif
#ifndef MADV_SOFT_OFFLINE
#define MADV_SOFT_OFFLINE	101
#endif
/* include/linux/mm.h, enum mf_flags */
#define MF_ACTION_REQUIRED	0x2
#define MF_SW_SIMULATED		0x20
#define PAGE		4096ULL
#define MAX_BUFS	4096

struct buf {
	unsigned long long blkno, size, phys;
};

struct report {
	unsigned long long blkno, size, phys, offset, unit;
	unsigned int flags;
};

static int writef(const char *path, const char *fmt, unsigned long long a,
		  unsigned long long b)
{
	char s[64];

	snprintf(s, sizeof(s), fmt, a, b);
	return write_str(path, s);
}

static int read_bufs(struct buf *b, int max)
{
	FILE *f = fopen(BUF_DIR "/buffers", "r");
	int n = 0;

	if (!f)
		return -1;
	while (n < max && fscanf(f, "%llu %llu %llx", &b[n].blkno, &b[n].size,
				 &b[n].phys) == 3)
		n++;
	fclose(f);
	return n;
}

static int read_reports(struct report *r, int max)
{
	FILE *f = fopen(BUF_DIR "/poisoned", "r");
	char line[256];
	int n = 0;

	if (!f)
		return -1;
	while (n < max && fgets(line, sizeof(line), f))
		if (sscanf(line, "%llu %llu %llx %llu %llx %x", &r[n].blkno,
			   &r[n].size, &r[n].phys, &r[n].offset, &r[n].unit,
			   &r[n].flags) == 6)
			n++;
	fclose(f);
	return n;
}

/* Sum of units_retired over the instances of 2^@shift-byte units. */
static long long retired(unsigned int shift)
{
	return instances_sum("units_retired", shift);
}

static long long meminfo_kb(const char *key)
{
	return read_key("/proc/meminfo", key, ':');
}

/* "lookup PHYS none" from the POTAD test interface: no block holds it. */
static int held_by_no_block(unsigned long long phys)
{
	char line[256], want[64];
	FILE *f;
	int found = 0;

	if (writef(POTAD_TEST, "lookup %#llx\n", phys, 0))
		return -1;
	f = fopen(POTAD_TEST, "r");
	if (!f)
		return -1;
	snprintf(want, sizeof(want), "lookup %#llx none", phys);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, want, strlen(want)))
			found = 1;
	fclose(f);
	return found;
}

/* A shared mapping of the cached buffer @b, or MAP_FAILED. */
static char *map_buf(const struct buf *b)
{
	int fd = open(BUF_DIR "/map", O_RDWR);
	char *p;

	if (fd < 0)
		return MAP_FAILED;
	p = mmap(NULL, b->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 b->blkno * PAGE);
	close(fd);
	return p;
}

static sigjmp_buf sigbus_jmp;
static int sigbus_code;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	sigbus_code = si->si_code;
	siglongjmp(sigbus_jmp, 1);
}

/* Read *@p: 0, or the si_code of the SIGBUS it got. */
static int touch(char *p)
{
	struct sigaction sa = { .sa_sigaction = on_sigbus,
				.sa_flags = SA_SIGINFO }, old;

	sigbus_code = 0;
	sigaction(SIGBUS, &sa, &old);
	if (!sigsetjmp(sigbus_jmp, 1))
		(void)__atomic_load_n(p, __ATOMIC_RELAXED);
	sigaction(SIGBUS, &old, NULL);
	return sigbus_code;
}

/* The page of the pattern fill_pattern() writes at @off. */
static char pattern(unsigned long long off)
{
	return (char)(off / PAGE + 1);
}

static void fill_pattern(char *p, unsigned long long size)
{
	unsigned long long off;

	for (off = 0; off < size; off += PAGE)
		p[off] = pattern(off);
}

static int check_pattern(const char *p, unsigned long long size)
{
	unsigned long long off;

	for (off = 0; off < size; off += PAGE)
		if (p[off] != pattern(off))
			return 0;
	return 1;
}

/* vm.enable_soft_offline, which hugetlb-soft-offline turns off. */
static int soft_offline_enabled(void)
{
	FILE *f = fopen("/proc/sys/vm/enable_soft_offline", "r");
	int on = 1;

	if (f) {
		if (fscanf(f, "%d", &on) != 1)
			on = 1;
		fclose(f);
	}
	return on;
}

/*
 * Cache one 64 KB buffer (the only one: the fixture dropped the rest),
 * map it into @b's place and write the pattern: the mapping, or
 * MAP_FAILED.  @bufs is scratch for read_bufs().
 */
static char *fill_map_64k(struct buf *bufs, struct buf *b)
{
	char *p;

	if (writef(BUF_CTL, "fill %llu %llu\n", 1, 65536) ||
	    read_bufs(bufs, MAX_BUFS) != 1)
		return MAP_FAILED;
	*b = bufs[0];
	p = map_buf(b);
	if (p != MAP_FAILED)
		fill_pattern(p, b->size);
	return p;
}

FIXTURE(owner) {
	struct buf *bufs;
	struct report *reps;
	unsigned long long poisoned[4];
	int nr_poisoned;
};

/* Poison @pfn through hwpoison-inject; teardown unpoisons it. */
static int poison(FIXTURE_DATA(owner) * self, unsigned long long pfn)
{
	if (self->nr_poisoned < 4)
		self->poisoned[self->nr_poisoned++] = pfn;
	return writef(HWPOISON "/corrupt-pfn", "%#llx\n", pfn, 0);
}

FIXTURE_SETUP(owner)
{
	if (access(BUF_CTL, W_OK))
		SKIP(return, "%s missing (CONFIG_SAMPLE_POTAD_BUF)", BUF_CTL);
	if (access(HWPOISON "/corrupt-pfn", W_OK))
		SKIP(return, "hwpoison-inject missing");
	self->bufs = calloc(MAX_BUFS, sizeof(*self->bufs));
	self->reps = calloc(MAX_BUFS, sizeof(*self->reps));
	ASSERT_TRUE(self->bufs && self->reps);
	ASSERT_EQ(write_str(BUF_CTL, "drop\n"), 0);
	ASSERT_EQ(write_str(BUF_CTL, "forget\n"), 0);
}

FIXTURE_TEARDOWN(owner)
{
	int i;

	write_str(BUF_CTL, "drop\n");
	/* After a failed check: leave no page out of service. */
	for (i = 0; i < self->nr_poisoned; i++)
		writef(HWPOISON "/unpoison-pfn", "%#llx\n",
		       self->poisoned[i], 0);
	write_str(BUF_CTL, "forget\n");
	free(self->bufs);
	free(self->reps);
}

/*
 * A 64 KB buffer poisoned in its ninth page: the owner is told once with
 * offset 32768 and drops it; a second poison is -EHWPOISON and tells no
 * one; the page is never handed out again; unpoison gives it back.
 */
TEST_F(owner, poison_64k_buffer)
{
	unsigned long long phys, pfn, blkno;
	long long r12 = retired(12), hwc = meminfo_kb("HardwareCorrupted");
	int n, i;

	ASSERT_EQ(writef(BUF_CTL, "fill %llu %llu\n", 8, 65536), 0);
	n = read_bufs(self->bufs, MAX_BUFS);
	ASSERT_EQ(n, 8);
	blkno = self->bufs[2].blkno;
	phys = self->bufs[2].phys + 32768;
	pfn = phys / PAGE;

	ASSERT_EQ(poison(self, pfn), 0);
	ASSERT_EQ(read_reports(self->reps, MAX_BUFS), 1);
	EXPECT_EQ(self->reps[0].blkno, blkno);
	EXPECT_EQ(self->reps[0].size, 65536);
	EXPECT_EQ(self->reps[0].offset, 32768);
	EXPECT_EQ(self->reps[0].phys, phys - 32768);
	EXPECT_EQ(meminfo_kb("HardwareCorrupted"), hwc + 4);
	/* Dropped from the cache, its block freed but for the page. */
	n = read_bufs(self->bufs, MAX_BUFS);
	EXPECT_EQ(n, 7);
	for (i = 0; i < n; i++)
		EXPECT_NE(self->bufs[i].blkno, blkno);
	EXPECT_EQ(retired(12), r12 + 1);
	EXPECT_EQ(held_by_no_block(phys), 1);

	/* Twice: the kernel's answer for a poisoned page; no one told. */
	EXPECT_EQ(poison(self, pfn),
		  EHWPOISON);
	EXPECT_EQ(read_reports(self->reps, MAX_BUFS), 1);

	/*
	 * A sweep: 64 KB buffers for as much as all the free POTAD memory
	 * (free units go before any refill), then 4 MB of 4 KB ones for the
	 * pieces left: no block holds the page.  (Not every 4 KB piece: the
	 * refills the first fill made leave more than one fill may ask.)
	 */
	ASSERT_EQ(writef(BUF_CTL, "fill %llu %llu\n",
			 meminfo_kb("PotadFree") / 64, 65536), 0);
	ASSERT_EQ(writef(BUF_CTL, "fill %llu %llu\n", 1024, 4096), 0);
	EXPECT_EQ(held_by_no_block(phys), 1);
	ASSERT_EQ(write_str(BUF_CTL, "drop\n"), 0);

	ASSERT_EQ(writef(HWPOISON "/unpoison-pfn", "%#llx\n", pfn, 0), 0);
	EXPECT_EQ(retired(12), r12);
	EXPECT_EQ(meminfo_kb("HardwareCorrupted"), hwc);
}

/*
 * A page holding several 512 B buffers: every one of them is told, once,
 * at offset 0 of its own block; the buffers of other pages are not.
 * Unpoison waits until the owner has freed them all.
 */
TEST_F(owner, poison_page_of_512_byte_buffers)
{
	unsigned long long pfn = 0;
	long long r9 = retired(9);
	int n, i, j, best = 0, nrep;

	ASSERT_EQ(writef(BUF_CTL, "fill %llu %llu\n", 64, 512), 0);
	n = read_bufs(self->bufs, MAX_BUFS);
	ASSERT_EQ(n, 64);
	for (i = 0; i < n; i++) {
		int k = 0;

		for (j = 0; j < n; j++)
			k += self->bufs[j].phys / PAGE ==
			     self->bufs[i].phys / PAGE;
		if (k > best) {
			best = k;
			pfn = self->bufs[i].phys / PAGE;
		}
	}
	ASSERT_GE(best, 2);

	ASSERT_EQ(poison(self, pfn), 0);
	nrep = read_reports(self->reps, MAX_BUFS);
	EXPECT_EQ(nrep, best);
	for (i = 0; i < nrep; i++) {
		EXPECT_EQ(self->reps[i].phys / PAGE, pfn);
		EXPECT_EQ(self->reps[i].size, 512);
		EXPECT_EQ(self->reps[i].offset, 0);
		for (j = 0; j < i; j++)
			EXPECT_NE(self->reps[j].blkno, self->reps[i].blkno);
	}
	n = read_bufs(self->bufs, MAX_BUFS);
	EXPECT_EQ(n, 64 - best);
	for (i = 0; i < n; i++)
		EXPECT_NE(self->bufs[i].phys / PAGE, pfn);
	/* All eight 512 B units of the page are out of service. */
	EXPECT_EQ(retired(9), r9 + PAGE / 512);

	ASSERT_EQ(write_str(BUF_CTL, "drop\n"), 0);
	ASSERT_EQ(writef(HWPOISON "/unpoison-pfn", "%#llx\n", pfn, 0), 0);
	EXPECT_EQ(retired(9), r9);
}

/* An 8 KB buffer poisoned in its second page; unpoison works once. */
TEST_F(owner, unpoison_once)
{
	unsigned long long pfn;
	long long r12 = retired(12);
	int n;

	ASSERT_EQ(writef(BUF_CTL, "fill %llu %llu\n", 1, 8192), 0);
	n = read_bufs(self->bufs, MAX_BUFS);
	ASSERT_EQ(n, 1);
	pfn = self->bufs[0].phys / PAGE + 1;
	ASSERT_EQ(poison(self, pfn), 0);
	EXPECT_EQ(read_reports(self->reps, MAX_BUFS), 1);
	EXPECT_EQ(self->reps[0].offset, 4096);
	EXPECT_EQ(writef(HWPOISON "/unpoison-pfn", "%#llx\n", pfn, 0), 0);
	EXPECT_EQ(retired(12), r12);
	EXPECT_NE(writef(HWPOISON "/unpoison-pfn", "%#llx\n", pfn, 0), 0);
}

/*
 * madvise(MADV_HWPOISON) on the fourth page of a mapped 64 KB buffer: the
 * owner is told with MF_ACTION_REQUIRED and the page's offset, and
 * unmaps the page: touching it again is SIGBUS (BUS_MCEERR_AR), its other
 * pages still read their data.  Once unmapped the block goes back but for
 * the page.
 */
TEST_F(owner, madvise_hwpoison_mapped)
{
	long long r12 = retired(12);
	struct buf b;
	char *p;

	p = fill_map_64k(self->bufs, &b);
	ASSERT_NE(p, MAP_FAILED);

	self->poisoned[self->nr_poisoned++] = b.phys / PAGE + 3;
	ASSERT_EQ(madvise(p + 3 * PAGE, PAGE, MADV_HWPOISON), 0);
	ASSERT_EQ(read_reports(self->reps, MAX_BUFS), 1);
	EXPECT_EQ(self->reps[0].blkno, b.blkno);
	EXPECT_EQ(self->reps[0].offset, 3 * PAGE);
	EXPECT_EQ(self->reps[0].unit, b.phys / PAGE + 3);
	EXPECT_EQ(self->reps[0].flags & (MF_ACTION_REQUIRED | MF_SW_SIMULATED),
		  MF_ACTION_REQUIRED | MF_SW_SIMULATED);
	EXPECT_EQ(read_bufs(self->bufs, MAX_BUFS), 0);

	EXPECT_EQ(touch(p + 3 * PAGE), BUS_MCEERR_AR);
	EXPECT_EQ(touch(p + 2 * PAGE), 0);
	EXPECT_EQ(p[2 * PAGE], pattern(2 * PAGE));
	EXPECT_EQ(p[15 * PAGE], pattern(15 * PAGE));
	/* Again: the page faults (GUP's -EFAULT), no one is told again. */
	EXPECT_EQ(madvise(p + 3 * PAGE, PAGE, MADV_HWPOISON), -1);
	EXPECT_EQ(errno, EFAULT);
	EXPECT_EQ(read_reports(self->reps, MAX_BUFS), 1);
	ASSERT_EQ(munmap(p, b.size), 0);
	EXPECT_EQ(retired(12), r12 + 1);
	EXPECT_EQ(held_by_no_block(b.phys + 3 * PAGE), 1);
}

/*
 * Soft offline of a page of a cached 64 KB buffer nobody maps: the owner
 * copies it to a new block, the old one goes back but for the page,
 * which is marked and counted as poisoned; the data reads the same
 * through a mapping of the moved buffer.
 */
TEST_F(owner, soft_offline_moves_buffer)
{
	long long r12 = retired(12), hwc = meminfo_kb("HardwareCorrupted");
	long long moved = read_key(BUF_DIR "/stats", "moved", ' ');
	unsigned long long old;
	struct buf b;
	char *p;

	if (access(SOFT_OFFLINE, W_OK))
		SKIP(return, "%s missing (CONFIG_MEMORY_HOTPLUG)",
		     SOFT_OFFLINE);
	if (!soft_offline_enabled())
		SKIP(return, "soft offline disabled (vm.enable_soft_offline)");
	p = fill_map_64k(self->bufs, &b);
	ASSERT_NE(p, MAP_FAILED);
	ASSERT_EQ(munmap(p, b.size), 0);

	old = b.phys;
	self->poisoned[self->nr_poisoned++] = old / PAGE + 5;
	ASSERT_EQ(writef(SOFT_OFFLINE, "%#llx\n", old + 5 * PAGE, 0), 0);
	ASSERT_EQ(read_bufs(self->bufs, MAX_BUFS), 1);
	b = self->bufs[0];
	EXPECT_NE(b.phys, old);
	EXPECT_EQ(read_key(BUF_DIR "/stats", "moved", ' '), moved + 1);
	EXPECT_EQ(retired(12), r12 + 1);
	EXPECT_EQ(meminfo_kb("HardwareCorrupted"), hwc + 4);
	EXPECT_EQ(held_by_no_block(old + 5 * PAGE), 1);
	EXPECT_EQ(read_reports(self->reps, MAX_BUFS), 0);
	p = map_buf(&b);
	ASSERT_NE(p, MAP_FAILED);
	EXPECT_EQ(check_pattern(p, b.size), 1);
	ASSERT_EQ(munmap(p, b.size), 0);

	ASSERT_EQ(writef(HWPOISON "/unpoison-pfn", "%#llx\n", old / PAGE + 5,
			 0), 0);
	EXPECT_EQ(retired(12), r12);
	EXPECT_EQ(meminfo_kb("HardwareCorrupted"), hwc);
}

/*
 * MADV_SOFT_OFFLINE on a mapped buffer: the owner cannot move data that is
 * mapped, so the call fails with EBUSY and nothing changed.
 */
TEST_F(owner, madvise_soft_offline_mapped_refused)
{
	long long r12 = retired(12), hwc = meminfo_kb("HardwareCorrupted");
	long long moved = read_key(BUF_DIR "/stats", "moved", ' ');
	struct buf b;
	char *p;

	if (!soft_offline_enabled())
		SKIP(return, "soft offline disabled (vm.enable_soft_offline)");
	p = fill_map_64k(self->bufs, &b);
	ASSERT_NE(p, MAP_FAILED);

	self->poisoned[self->nr_poisoned++] = b.phys / PAGE + 1;
	EXPECT_EQ(madvise(p + PAGE, PAGE, MADV_SOFT_OFFLINE), -1);
	EXPECT_EQ(errno, EBUSY);
	EXPECT_EQ(read_key(BUF_DIR "/stats", "moved", ' '), moved);
	EXPECT_EQ(retired(12), r12);
	EXPECT_EQ(meminfo_kb("HardwareCorrupted"), hwc);
	ASSERT_EQ(read_bufs(self->bufs, MAX_BUFS), 1);
	EXPECT_EQ(self->bufs[0].phys, b.phys);
	EXPECT_EQ(check_pattern(p, b.size), 1);
	ASSERT_EQ(munmap(p, b.size), 0);
}

TEST_HARNESS_MAIN
