// SPDX-License-Identifier: GPL-2.0
/*
 * POTAD kselftest: drive the allocator through
 * /sys/kernel/debug/potad/test (CONFIG_POTAD_DEBUGFS) and check what it
 * reports.  Each test sets up its own space: an abstract space of units,
 * or a memory space far above RAM (POTAD never touches the memory) for
 * the physical-address lookups.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../kselftest_harness.h"

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
 * Look up @phys; returns 1 and fills in the block if an allocated block
 * holds it, 0 if none does, -1 if the answer cannot be read.  The block's
 * type must be the debugfs one and its owner the test file.
 */
static int find_block(unsigned long long phys, unsigned long long *block,
		      unsigned long long *bytes)
{
	char line[256], type[64], owner[64];
	unsigned long long p = 0, size = 0;
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
			ret = p == phys && !strcmp(type, "potad_debugfs") &&
			      size > 0 && !strcmp(owner, "debugfs-test-file") ?
			      1 : -1;
	}
	fclose(f);
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

TEST_HARNESS_MAIN
