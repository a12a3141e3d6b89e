// SPDX-License-Identifier: GPL-2.0
/*
 * POTAD kselftest: drive the allocator through
 * /sys/kernel/debug/potad/test (CONFIG_POTAD_DEBUGFS) and check what it
 * reports.  Each test sets up its own space: an abstract space of units,
 * or a memory space far above RAM (POTAD never touches the memory) for
 * the physical-address lookups.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "../kselftest_harness.h"
#include "potad_util.h"

#define POTAD_DIR	"/sys/kernel/debug/potad"
#define POTAD_TEST	POTAD_DIR "/test"

/* Write one command; returns 0 or the errno the kernel answered with. */
static int cmd(const char *fmt, ...)
{
	char buf[128];
	va_list ap;
	int fd, len, ret = 0;

	va_start(ap, fmt);
	len = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fd = open(POTAD_TEST, O_WRONLY);
	if (fd < 0)
		return errno;
	if (write(fd, buf, len) != len)
		ret = errno;
	close(fd);
	return ret;
}

/*
 * Read a "KEY A [B]" line of the test file: A, or with @sel >= 0 the B of
 * the line whose A is @sel.  @dflt if there is no such line, -1 if the
 * file cannot be read.
 */
static long field(const char *key, long sel, long dflt)
{
	char line[256], k[64];
	long a, b, ret = dflt;
	FILE *f = fopen(POTAD_TEST, "r");
	int n;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		n = sscanf(line, "%63s %ld %ld", k, &a, &b);
		if (n < 2 || strcmp(k, key))
			continue;
		if (sel < 0)
			ret = a;
		else if (n == 3 && a == sel)
			ret = b;
	}
	fclose(f);
	return ret;
}

/* A counter ("units_free 1024"); -1 if absent. */
static long get(const char *key)
{
	return field(key, -1, -1);
}

/* Free blocks of @order, from the "nr_free ORDER COUNT" lines. */
static long free_blocks(int order)
{
	return field("nr_free", order, 0);
}

/* Start of the last block allocated, from "last START ORDER". */
static long last_start(void)
{
	return field("last", -1, -1);
}

/*
 * Look up @phys; returns 1 and fills in the block's type, owner and
 * extent if an allocated block holds it, 0 if none does, -1 if the answer
 * cannot be read.
 */
static int lookup_line(unsigned long long phys, char *type, char *owner,
		       unsigned long long *block, unsigned long long *bytes)
{
	unsigned long long p = 0, size = 0;
	char line[256];
	int ret = -1;
	FILE *f;

	if (cmd("lookup %#llx", phys))
		return -1;
	f = fopen(POTAD_TEST, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "lookup ", 7))
			continue;
		if (sscanf(line, "lookup %llx none", &p) == 1 &&
		    strstr(line, " none"))
			ret = p == phys ? 0 : -1;
		else if (sscanf(line,
				"lookup %llx type %63s size %llu block %llx %llu owner %63s",
				&p, type, &size, block, bytes, owner) == 6)
			ret = p == phys && size > 0 ? 1 : -1;
	}
	fclose(f);
	return ret;
}

/*
 * As lookup_line(), and the block's type must be the debugfs one and its
 * owner the test file.
 */
static int find_block(unsigned long long phys, unsigned long long *block,
		      unsigned long long *bytes)
{
	char type[64], owner[64];
	int ret = lookup_line(phys, type, owner, block, bytes);

	if (ret == 1 && (strcmp(type, "potad_debugfs") ||
			 strcmp(owner, "debugfs-test-file")))
		return -1;
	return ret;
}

/* 64 TB: far above the RAM of any test machine. */
#define MEM_BASE	0x400000000000ULL

FIXTURE(memory) {
	int unused;
};

FIXTURE_SETUP(memory)
{
	if (access(POTAD_TEST, W_OK))
		SKIP(return, "%s missing: CONFIG_POTAD_DEBUGFS=y and root needed",
		     POTAD_TEST);
	/* 1024 units of 4 KB at MEM_BASE: units MEM_BASE >> 12 and up. */
	ASSERT_EQ(0, cmd("init_memory 12 %#llx 1024", MEM_BASE));
	ASSERT_EQ(0, cmd("add %#llx 1024", MEM_BASE >> 12));
}

FIXTURE_TEARDOWN(memory)
{
	cmd("destroy");
}

TEST_F(memory, lookup_every_boundary)
{
	unsigned long long block, bytes, phys;

	ASSERT_EQ(0, find_block(MEM_BASE, &block, &bytes));
	ASSERT_EQ(0, cmd("alloc 0"));
	ASSERT_EQ(0, cmd("alloc 4"));
	ASSERT_EQ(MEM_BASE >> 12 | 16, last_start());
	for (phys = MEM_BASE + 0x10000; phys < MEM_BASE + 0x20000;
	     phys += 0x800) {
		ASSERT_EQ(1, find_block(phys, &block, &bytes));
		ASSERT_EQ(MEM_BASE + 0x10000, block);
		ASSERT_EQ(0x10000, bytes);
	}
	ASSERT_EQ(1, find_block(MEM_BASE + 0x1ffff, &block, &bytes));
	ASSERT_EQ(1, find_block(MEM_BASE + 0xfff, &block, &bytes));
	ASSERT_EQ(MEM_BASE, block);
	ASSERT_EQ(4096, bytes);
	ASSERT_EQ(0, find_block(MEM_BASE + 0x20000, &block, &bytes));
	ASSERT_EQ(0, find_block(MEM_BASE + 0x1000, &block, &bytes));
	ASSERT_EQ(0, find_block(MEM_BASE - 1, &block, &bytes));
	ASSERT_EQ(0, find_block(MEM_BASE + 0x400000, &block, &bytes));
}

TEST_F(memory, lookup_after_free_and_partial_free)
{
	unsigned long long block, bytes, unit = MEM_BASE >> 12;

	ASSERT_EQ(0, cmd("alloc_at %#llx 3", unit + 8));
	ASSERT_EQ(1, find_block(MEM_BASE + 0xa000, &block, &bytes));
	ASSERT_EQ(0, cmd("free_range %#llx 2", unit + 10));
	ASSERT_EQ(0, find_block(MEM_BASE + 0xa000, &block, &bytes));
	ASSERT_EQ(0, find_block(MEM_BASE + 0xbfff, &block, &bytes));
	ASSERT_EQ(1, find_block(MEM_BASE + 0x9fff, &block, &bytes));
	ASSERT_EQ(1, find_block(MEM_BASE + 0xc000, &block, &bytes));
	ASSERT_EQ(MEM_BASE + 0x8000, block);
	ASSERT_EQ(0, cmd("free_range %#llx 2", unit + 8));
	ASSERT_EQ(0, cmd("free_range %#llx 4", unit + 12));
	ASSERT_EQ(0, find_block(MEM_BASE + 0xc000, &block, &bytes));
	ASSERT_EQ(1024, get("units_free"));
	ASSERT_EQ(1, free_blocks(10));
}

TEST(lookup_512_byte_units)
{
	unsigned long long block, bytes;

	if (access(POTAD_TEST, W_OK))
		SKIP(return, "%s missing: CONFIG_POTAD_DEBUGFS=y and root needed",
		     POTAD_TEST);
	ASSERT_EQ(0, cmd("init_memory 9 %#llx 64", MEM_BASE));
	ASSERT_EQ(0, cmd("add %#llx 64", MEM_BASE >> 9));
	ASSERT_EQ(0, cmd("alloc 0"));
	ASSERT_EQ(0, cmd("alloc 0"));
	ASSERT_EQ(1, find_block(MEM_BASE + 0x200, &block, &bytes));
	ASSERT_EQ(MEM_BASE + 0x200, block);
	ASSERT_EQ(512, bytes);
	ASSERT_EQ(1, find_block(MEM_BASE + 0x1ff, &block, &bytes));
	ASSERT_EQ(MEM_BASE, block);
	ASSERT_EQ(0, find_block(MEM_BASE + 0x400, &block, &bytes));
	ASSERT_EQ(0, cmd("destroy"));
}

FIXTURE(space) {
	int unused;
};

FIXTURE_SETUP(space)
{
	if (access(POTAD_TEST, W_OK))
		SKIP(return, "%s missing: CONFIG_POTAD_DEBUGFS=y and root needed",
		     POTAD_TEST);
	ASSERT_EQ(0, cmd("init 1024 63"));
	ASSERT_EQ(0, cmd("add 0 1024"));
}

FIXTURE_TEARDOWN(space)
{
	cmd("destroy");
}

TEST(listing_files)
{
	char line[256];
	int types = 0;
	FILE *f = fopen(POTAD_DIR "/types", "r");

	if (!f)
		SKIP(return, "%s missing: CONFIG_POTAD_DEBUGFS=y and root needed",
		     POTAD_DIR);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "type potad_debugfs size ", 24))
			types++;
	fclose(f);
	ASSERT_EQ(1, types);
	f = fopen(POTAD_DIR "/instances", "r");
	ASSERT_NE(NULL, f);
	fclose(f);
}

TEST_F(space, one_free_block_after_add)
{
	ASSERT_EQ(1024, get("units_total"));
	ASSERT_EQ(1024, get("units_free"));
	ASSERT_EQ(10, get("max_order"));
	ASSERT_EQ(1, free_blocks(10));
}

TEST_F(space, lowest_address_first)
{
	ASSERT_EQ(0, cmd("alloc 0"));
	ASSERT_EQ(0, last_start());
	ASSERT_EQ(0, cmd("alloc 0"));
	ASSERT_EQ(1, last_start());
	ASSERT_EQ(0, cmd("alloc 1"));
	ASSERT_EQ(2, last_start());
	ASSERT_EQ(0, cmd("alloc 0"));
	ASSERT_EQ(4, last_start());
	ASSERT_EQ(0, cmd("alloc 3"));
	ASSERT_EQ(8, last_start());
	ASSERT_EQ(13, get("units_allocated"));
}

TEST_F(space, free_merges_back)
{
	ASSERT_EQ(0, cmd("alloc 0"));
	ASSERT_EQ(0, cmd("alloc 5"));
	ASSERT_EQ(32, last_start());
	ASSERT_EQ(0, cmd("free 0"));
	ASSERT_EQ(0, cmd("free 32"));
	ASSERT_EQ(1, free_blocks(10));
	ASSERT_EQ(1024, get("units_free"));
	ASSERT_EQ(2, get("nr_frees"));
}

TEST_F(space, full_space_then_enospc)
{
	ASSERT_EQ(0, cmd("alloc 10"));
	ASSERT_EQ(ENOSPC, cmd("alloc 0"));
	ASSERT_EQ(1, get("alloc_failures"));
	ASSERT_EQ(0, get("units_free"));
}

TEST_F(space, alloc_at_exact_and_busy)
{
	ASSERT_EQ(0, cmd("alloc_at 512 8"));
	ASSERT_EQ(512, last_start());
	ASSERT_EQ(EBUSY, cmd("alloc_at 512 0"));
	ASSERT_EQ(EBUSY, cmd("alloc_at 0 10"));
	ASSERT_EQ(0, cmd("alloc_at 768 8"));
	ASSERT_EQ(1, free_blocks(9));
	ASSERT_EQ(512, get("units_allocated"));
}

TEST_F(space, partial_free_merges)
{
	ASSERT_EQ(0, cmd("alloc 4"));
	ASSERT_EQ(0, cmd("free_range 3 1"));
	ASSERT_EQ(15, get("units_allocated"));
	ASSERT_EQ(0, cmd("free_range 0 3"));
	ASSERT_EQ(0, cmd("free_range 8 8"));
	ASSERT_EQ(0, cmd("free_range 4 4"));
	ASSERT_EQ(0, get("units_allocated"));
	ASSERT_EQ(1, free_blocks(10));
}

TEST_F(space, retire_free_and_allocated)
{
	ASSERT_EQ(0, cmd("retire 1000"));
	ASSERT_EQ(EALREADY, cmd("retire 1000"));
	ASSERT_EQ(1, get("units_retired"));
	/* Best fit: the order-2 block split off next to unit 1000. */
	ASSERT_EQ(0, cmd("alloc 2"));
	ASSERT_EQ(1004, last_start());
	ASSERT_EQ(0, cmd("retire 1005"));
	ASSERT_EQ(1, get("units_retired"));
	ASSERT_EQ(0, cmd("free 1004"));
	ASSERT_EQ(2, get("units_retired"));
	ASSERT_EQ(1022, get("units_free"));
	ASSERT_EQ(EBUSY, cmd("alloc_at 1004 1"));
	ASSERT_EQ(0, cmd("alloc_at 1006 1"));
}

TEST_F(space, withdraw)
{
	ASSERT_EQ(0, cmd("alloc 0"));
	ASSERT_EQ(EBUSY, cmd("withdraw 0 512"));
	ASSERT_EQ(1024, get("units_total"));
	ASSERT_EQ(0, cmd("withdraw 512 512"));
	ASSERT_EQ(512, get("units_total"));
	ASSERT_EQ(0, free_blocks(9));
	ASSERT_EQ(0, cmd("add 512 512"));
	ASSERT_EQ(0, cmd("free 0"));
	ASSERT_EQ(1, free_blocks(10));
}

TEST(holes_and_odd_ranges)
{
	if (access(POTAD_TEST, W_OK))
		SKIP(return, "%s missing: CONFIG_POTAD_DEBUGFS=y and root needed",
		     POTAD_TEST);
	ASSERT_EQ(0, cmd("init 4096 63"));
	ASSERT_EQ(0, cmd("add 3 10"));
	/* 3, 4..7, 8..11, 12 */
	ASSERT_EQ(2, free_blocks(0));
	ASSERT_EQ(2, free_blocks(2));
	/* 2000..2015, 2016..2047, 2048..2079, 2080..2095 */
	ASSERT_EQ(0, cmd("add 2000 96"));
	ASSERT_EQ(106, get("units_total"));
	ASSERT_EQ(2, free_blocks(5));
	ASSERT_EQ(ENOSPC, cmd("alloc 6"));
	ASSERT_EQ(0, cmd("alloc 5"));
	ASSERT_EQ(2016, last_start());
	ASSERT_EQ(0, cmd("destroy"));
}

/* A "Key: N kB" line of /proc/meminfo, or a "key N" one of /proc/vmstat. */
static long long proc_value(const char *path, const char *key)
{
	char line[256], k[64];
	long long v, ret = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %lld", k, &v) == 2 && !strcmp(k, key))
			ret = v;
	fclose(f);
	return ret;
}

/* Memory POTAD has handed out, in kB: PotadTotal - PotadFree. */
static long long potad_used_kb(void)
{
	return proc_value("/proc/meminfo", "PotadTotal:") -
	       proc_value("/proc/meminfo", "PotadFree:");
}

/* A watermark ("min", "low", "high") summed over the zones, in kB. */
static long long wmark_kb(const char *key)
{
	char line[256], k[64];
	long long v, sum = 0;
	FILE *f = fopen("/proc/zoneinfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %lld", k, &v) == 2 && !strcmp(k, key))
			sum += v;
	fclose(f);
	return sum * (sysconf(_SC_PAGESIZE) / 1024);
}

static long long event(const char *key)
{
	return proc_value("/proc/vmstat", key);
}

/* The physical address of the last zalloc, from "zlast PHYS BYTES". */
static long long last_zone_block(void)
{
	char line[256];
	long long phys = -1, bytes;
	FILE *f = fopen(POTAD_TEST, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "zlast %llx %lld", &phys, &bytes) == 2)
			break;
	fclose(f);
	return phys;
}

/* Shrinkers run: POTAD gives back every entirely free elastic block. */
static int run_shrinkers(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
	int ret = fd < 0 || write(fd, "2", 1) != 1 ? -1 : 0;

	if (fd >= 0)
		close(fd);
	return ret;
}

static int cmdline_has(const char *s)
{
	char buf[4096] = "";
	FILE *f = fopen("/proc/cmdline", "r");

	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return !!strstr(buf, s);
}

/*
 * Every size from 512 B to 1 GB (1 GB when booted with potad=1G): the
 * block is found by its address, and gone once freed.  From 4 KB on,
 * each allocation and free moves PotadTotal - PotadFree by exactly its
 * size, whatever refills and returns happen meanwhile (below a page
 * /proc/meminfo's kB cannot show it exactly); at every size potad_alloc
 * and potad_free move by one (a 64 KB chunk taken for a sub-page block is
 * not an allocation of the API).
 */
TEST(zone_sizes_accounting)
{
	int shift, top = cmdline_has("potad=1G") ? 30 : 22;

	if (access(POTAD_TEST, W_OK))
		SKIP(return, "%s missing", POTAD_TEST);
	ASSERT_LE(0, proc_value("/proc/meminfo", "PotadTotal:"));
	for (shift = 9; shift <= top; shift++) {
		long long used = potad_used_kb(), allocs = event("potad_alloc");
		long long frees = event("potad_free"), phys;
		unsigned long long block, bytes;
		int page = shift >= 12;

		ASSERT_EQ(0, cmd("zalloc %d", shift)) TH_LOG("2^%d bytes", shift);
		phys = last_zone_block();
		ASSERT_LE(0, phys);
		ASSERT_EQ(0, phys & ((1LL << shift) - 1));
		if (page)
			ASSERT_EQ(used + (1LL << (shift - 10)), potad_used_kb());
		ASSERT_EQ(allocs + 1, event("potad_alloc"));
		ASSERT_EQ(1, find_block(phys + (1LL << shift) - 1, &block, &bytes));
		ASSERT_EQ(phys, block);
		ASSERT_EQ(1ULL << shift, bytes);
		ASSERT_EQ(0, cmd("zfree %#llx", phys));
		if (page)
			ASSERT_EQ(used, potad_used_kb());
		ASSERT_EQ(frees + 1, event("potad_free"));
		ASSERT_EQ(0, find_block(phys, &block, &bytes));
	}
	/* Beyond what any zone holds: ENOSPC; a block not ours: ENOENT. */
	ASSERT_EQ(ENOSPC, cmd("zalloc 50"));
	ASSERT_EQ(ENOENT, cmd("zfree 0x1000"));
}

#define DMA32_PAGES	(2 * 1024 + 1)	/* three MAX_PAGE_ORDER blocks */

/*
 * ZONE_DMA32 holds no reservation: filling it takes blocks from the buddy
 * allocator (three refills for two blocks and a page).  Freeing it all
 * gives one back on the way (above the high mark of two blocks) and keeps
 * two, which the shrinker gives back.
 */
TEST(zone_refill_return_shrink)
{
	static long long phys[DMA32_PAGES];
	long long refills, returns, total;
	int i;

	if (access(POTAD_TEST, W_OK))
		SKIP(return, "%s missing", POTAD_TEST);
	ASSERT_EQ(0, run_shrinkers());
	total = proc_value("/proc/meminfo", "PotadTotal:");
	refills = event("potad_refill");
	returns = event("potad_return");
	for (i = 0; i < DMA32_PAGES; i++) {
		ASSERT_EQ(0, cmd("zalloc_dma32 12"));
		phys[i] = last_zone_block();
		ASSERT_GT(1LL << 32, phys[i]);
	}
	ASSERT_EQ(refills + 3, event("potad_refill"));
	ASSERT_EQ(total + 3 * 4096, proc_value("/proc/meminfo", "PotadTotal:"));
	for (i = 0; i < DMA32_PAGES; i++)
		ASSERT_EQ(0, cmd("zfree %#llx", phys[i]));
	ASSERT_EQ(returns + 1, event("potad_return"));
	ASSERT_EQ(total + 2 * 4096, proc_value("/proc/meminfo", "PotadTotal:"));
	ASSERT_EQ(0, run_shrinkers());
	ASSERT_EQ(returns + 3, event("potad_return"));
	ASSERT_EQ(total, proc_value("/proc/meminfo", "PotadTotal:"));
}

/* The type name of the block holding @phys, and the block; 0 if none. */
static int lookup_type(unsigned long long phys, char *type,
		       unsigned long long *block, unsigned long long *bytes)
{
	char owner[64];

	return lookup_line(phys, type, owner, block, bytes);
}

#define HUGE_1G_DIR	"/sys/kernel/mm/hugepages/hugepages-1048576kB"
#define SZ_1G		(1024ULL * 1024 * 1024)
#ifndef MAP_HUGE_1GB
#define MAP_HUGE_1GB	(30 << 26)
#endif

/* Physical address behind @addr, from /proc/self/pagemap (root). */
static long long virt_to_phys(void *addr)
{
	unsigned long long entry;
	int fd = open("/proc/self/pagemap", O_RDONLY);
	off_t off = (unsigned long)addr / 4096 * sizeof(entry);
	int ok;

	if (fd < 0)
		return -1;
	ok = pread(fd, &entry, sizeof(entry), off) == sizeof(entry);
	close(fd);
	if (!ok || !(entry >> 63))
		return -1;
	return (long long)(entry & ((1ULL << 55) - 1)) * 4096 +
	       ((unsigned long)addr & 4095);
}

/* nr_hugepages of 1 GB pages: @base (pages held by the test) plus @n. */
static int set_1g(int base, int n)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%d", base + n);
	return write_str(HUGE_1G_DIR "/nr_hugepages", buf);
}

/*
 * With potad=1G: raising nr_hugepages of 1 GB pages takes the folio from
 * POTAD (PotadFree drops by 1 GB, and the folio's memory is a
 * potad_hugetlb block in the index); a mapping of it works; it is not
 * demoted to 2 MB pages; lowering nr_hugepages gives it back to POTAD.
 * With hugetlb_cma= too, hugetlb takes its first page from its CMA
 * area: that one is raised and mapped first, so that the next is POTAD's.
 */
TEST(hugetlb_1g_from_potad)
{
	unsigned long long block, bytes;
	long long used, phys;
	char type[64] = "";
	char *p, *q = NULL;
	int base = 0;

	if (access(POTAD_TEST, W_OK) || access(HUGE_1G_DIR, W_OK))
		SKIP(return, "no debugfs test file or no 1 GB huge pages");
	if (!cmdline_has("potad=1G"))
		SKIP(return, "not booted with potad=1G");
	ASSERT_EQ(0, read_num(HUGE_1G_DIR "/nr_hugepages"));
	used = potad_used_kb();
	if (cmdline_has("hugetlb_cma=")) {
		base = 1;
		ASSERT_EQ(0, set_1g(0, base));
		ASSERT_EQ(used, potad_used_kb());
		q = mmap(NULL, SZ_1G, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB |
			 MAP_HUGE_1GB, -1, 0);
		ASSERT_NE(MAP_FAILED, q);
		q[0] = 3;
		ASSERT_EQ(0, read_num(HUGE_1G_DIR "/free_hugepages"));
	}
	ASSERT_EQ(0, set_1g(base, 1));
	ASSERT_EQ(base + 1, read_num(HUGE_1G_DIR "/nr_hugepages"));
	ASSERT_EQ(1, read_num(HUGE_1G_DIR "/free_hugepages"));
	ASSERT_EQ(used + (long long)(SZ_1G >> 10), potad_used_kb());

	p = mmap(NULL, SZ_1G, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_HUGE_1GB, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	p[0] = 1;
	p[SZ_1G - 1] = 2;
	ASSERT_EQ(0, read_num(HUGE_1G_DIR "/free_hugepages"));
	phys = virt_to_phys(p);
	ASSERT_LT(0, phys);
	ASSERT_EQ(0, phys & (SZ_1G - 1));
	ASSERT_EQ(phys + SZ_1G - 1, virt_to_phys(p + SZ_1G - 1));
	ASSERT_EQ(1, lookup_type(phys + 12345, type, &block, &bytes));
	ASSERT_STREQ("potad_hugetlb", type);
	ASSERT_EQ(phys, block);
	ASSERT_EQ(SZ_1G, bytes);
	ASSERT_EQ(1, p[0]);
	ASSERT_EQ(2, p[SZ_1G - 1]);
	ASSERT_EQ(0, munmap(p, SZ_1G));

	/* Never demoted: 2 MB pieces could not go back to POTAD. */
	write_str(HUGE_1G_DIR "/demote", "1");
	ASSERT_EQ(base + 1, read_num(HUGE_1G_DIR "/nr_hugepages"));
	ASSERT_EQ(0, read_num("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"));

	ASSERT_EQ(0, set_1g(base, 0));
	ASSERT_EQ(base, read_num(HUGE_1G_DIR "/nr_hugepages"));
	ASSERT_EQ(used, potad_used_kb());
	ASSERT_EQ(0, lookup_type(phys, type, &block, &bytes));
	/* And again: the same block comes back from POTAD. */
	ASSERT_EQ(0, set_1g(base, 1));
	ASSERT_EQ(used + (long long)(SZ_1G >> 10), potad_used_kb());
	ASSERT_EQ(0, set_1g(base, 0));
	ASSERT_EQ(used, potad_used_kb());
	if (q) {
		ASSERT_EQ(3, q[0]);
		ASSERT_EQ(0, munmap(q, SZ_1G));
		ASSERT_EQ(0, set_1g(0, 0));
		ASSERT_EQ(0, read_num(HUGE_1G_DIR "/nr_hugepages"));
	}
}

#define MEMORY_DIR	"/sys/devices/system/memory"

/* The first memory block that is offline, or -1. */
static int offline_block(void)
{
	char path[128], state[32];
	int n, miss = 0;
	FILE *f;

	for (n = 0; miss < 1024; n++) {
		snprintf(path, sizeof(path), MEMORY_DIR "/memory%d/state", n);
		f = fopen(path, "r");
		if (!f) {
			miss++;
			continue;
		}
		miss = 0;
		if (fscanf(f, "%31s", state) != 1)
			state[0] = '\0';
		fclose(f);
		if (!strcmp(state, "offline"))
			return n;
	}
	return -1;
}

/*
 * Free the kernel's empty slabs (SLUB's /sys/kernel/slab/<cache>/shrink):
 * the allocations POTAD's refills make while the zone is full (descriptors,
 * directory nodes, freed again since) leave slabs in the onlined block that
 * would keep it from going offline.
 */
static void shrink_slabs(void)
{
	DIR *d = opendir("/sys/kernel/slab");
	char path[320];
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink",
			 e->d_name);
		write_str(path, "1");
	}
	closedir(d);
}

/*
 * The zone instances whose name ends in "-<pfn in hex>" (the extents that
 * memory hotplug added, named after their first pfn): how many there are
 * with @pfn in their range, and the elastic pages of the last such one.
 */
static int extent_of(unsigned long long pfn, long long *elastic)
{
	unsigned long long first, last;
	char line[512], name[64];
	int found = 0, in = 0;
	FILE *f = fopen(POTAD_DIR "/zones", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s pfn %llx-%llx", name, &first, &last) == 3) {
			in = pfn >= first && pfn <= last;
			found += in;
			continue;
		}
		if (in && sscanf(line,
				 " pages %*u free %*u allocated %*u reserved %*u elastic %lld",
				 elastic) == 1)
			in = 0;
	}
	fclose(f);
	return found;
}

/*
 * Memory hotplug (the test guest has a 512 MB pc-dimm, offline at boot):
 * onlining a block outside the boot span of ZONE_NORMAL gives the zone an
 * instance over it, into which refills from the block go and where
 * lookups find their blocks.  Offlining the block while POTAD holds part
 * of it fails with EBUSY and changes nothing; once POTAD has given it all
 * back it goes offline, and onlining it again reuses the instance.
 */
TEST(zone_memory_hotplug)
{
	static long long phys[4096];
	unsigned long long block, bytes, pfn;
	long long bs, start, elastic = -1, total;
	char path[128], state[32] = "";
	int n, i, ret, nr = 0, in = -1;
	FILE *f;

	if (access(POTAD_TEST, W_OK))
		SKIP(return, "%s missing", POTAD_TEST);
	n = offline_block();
	if (n < 0)
		SKIP(return, "no offline memory block (QEMU: -device pc-dimm)");
	f = fopen(MEMORY_DIR "/block_size_bytes", "r");
	ASSERT_NE(NULL, f);
	ASSERT_EQ(1, fscanf(f, "%llx", &bs));
	fclose(f);
	start = n * bs;
	pfn = start >> 12;
	snprintf(path, sizeof(path), MEMORY_DIR "/memory%d/state", n);
	ASSERT_EQ(0, extent_of(pfn, &elastic));
	ASSERT_EQ(0, write_str(path, "online_kernel"));
	ASSERT_EQ(1, extent_of(pfn, &elastic)) TH_LOG("block %d at %#llx", n, start);
	ASSERT_EQ(0, elastic);

	/* The buddy allocator hands out onlined memory last: fill until then. */
	ASSERT_EQ(0, run_shrinkers());
	total = proc_value("/proc/meminfo", "PotadTotal:");
	while (nr < 4096 && in < 0) {
		if (cmd("zalloc 22"))
			break;
		phys[nr] = last_zone_block();
		if (phys[nr] >= start && phys[nr] < start + bs)
			in = nr;
		nr++;
	}
	ASSERT_LE(0, in) TH_LOG("no 4 MB block from the block in %d", nr);
	ASSERT_EQ(1, find_block(phys[in] + 4096, &block, &bytes));
	ASSERT_EQ(phys[in], block);
	ASSERT_EQ(4 << 20, bytes);
	ASSERT_EQ(1, extent_of(pfn, &elastic));
	ASSERT_EQ(1024, elastic);

	/* Held by POTAD: offlining fails, and nothing changes. */
	ASSERT_EQ(EBUSY, write_str(path, "offline"));
	f = fopen(path, "r");
	ASSERT_NE(NULL, f);
	ASSERT_EQ(1, fscanf(f, "%31s", state));
	fclose(f);
	ASSERT_STREQ("online", state);
	ASSERT_EQ(1, find_block(phys[in], &block, &bytes));

	for (i = 0; i < nr; i++)
		ASSERT_EQ(0, cmd("zfree %#llx", phys[i]));
	ASSERT_EQ(0, run_shrinkers());
	ASSERT_EQ(total, proc_value("/proc/meminfo", "PotadTotal:"));
	ASSERT_EQ(1, extent_of(pfn, &elastic));
	ASSERT_EQ(0, elastic);
	/*
	 * POTAD holds nothing there now.  Objects freed under RCU may still
	 * pin a slab for a grace period: retry, a bounded number of times,
	 * while offlining fails with EBUSY.
	 */
	for (i = 0; i < 50; i++) {
		shrink_slabs();
		ret = write_str(path, "offline");
		if (ret != EBUSY)
			break;
		usleep(100 * 1000);
	}
	ASSERT_EQ(0, ret) TH_LOG("offline after %d tries", i + 1);
	ASSERT_EQ(0, write_str(path, "online_kernel"));
	ASSERT_EQ(1, extent_of(pfn, &elastic));
}

#define HUGE_2M_DIR	"/sys/kernel/mm/hugepages/hugepages-2048kB"

/*
 * Memory pressure gives back free elastic memory: POTAD keeps free elastic
 * blocks up to its high mark, until a zone below its low watermark wakes
 * kswapd, whose shrinker pass takes them.  The 2 MB hugetlb pool grows
 * from where every zone is still above its high watermark, one page at a
 * time, only until the blocks have come back: no zone is pushed far below
 * low, where this process would meet the OOM killer.  The pool is emptied
 * before anything is asserted.
 */
TEST(zone_memory_pressure)
{
	long long total, reserved, returns, kept, high, pages, got = 0;
	long long gave, after;
	static long long phys[3];
	char want[32];
	int i, tries;

	if (access(POTAD_TEST, W_OK) || access(HUGE_2M_DIR, W_OK))
		SKIP(return, "no debugfs test file or no 2 MB huge pages");
	ASSERT_EQ(0, read_num(HUGE_2M_DIR "/nr_hugepages"));
	ASSERT_EQ(0, run_shrinkers());
	reserved = proc_value("/proc/meminfo", "PotadReserved:");
	ASSERT_EQ(reserved, proc_value("/proc/meminfo", "PotadTotal:"));
	/* Three 4 MB blocks refilled and freed: the high mark keeps two. */
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, cmd("zalloc 22"));
		phys[i] = last_zone_block();
	}
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, cmd("zfree %#llx", phys[i]));
	total = proc_value("/proc/meminfo", "PotadTotal:");
	kept = (total - reserved) / 4096;
	ASSERT_LE(1, kept);
	returns = event("potad_return");

	high = wmark_kb("high");
	ASSERT_LT(0, high);
	pages = (proc_value("/proc/meminfo", "MemFree:") - 2 * high) / 2048;
	if (pages < 0)
		pages = 0;
	for (;;) {
		snprintf(want, sizeof(want), "%lld", pages);
		if (write_str(HUGE_2M_DIR "/nr_hugepages", want))
			break;
		got = read_num(HUGE_2M_DIR "/nr_hugepages");
		/* kswapd works asynchronously: give it up to 30 s at the end. */
		tries = got < pages ? 300 : 1;
		for (i = 0; i < tries && event("potad_return") < returns + kept; i++)
			usleep(100 * 1000);
		if (got < pages || event("potad_return") >= returns + kept)
			break;
		pages++;
	}
	gave = event("potad_return") - returns;
	after = proc_value("/proc/meminfo", "PotadTotal:");
	ASSERT_EQ(0, write_str(HUGE_2M_DIR "/nr_hugepages", "0"));
	ASSERT_EQ(0, read_num(HUGE_2M_DIR "/nr_hugepages"));
	TH_LOG("%lld 2 MB pages; POTAD gave back %lld blocks", got, gave);
	ASSERT_EQ(kept, gave);
	ASSERT_EQ(reserved, after);
}

TEST_HARNESS_MAIN
