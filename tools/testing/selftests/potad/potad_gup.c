// SPDX-License-Identifier: GPL-2.0
/*
 * POTAD GUP kselftest: map a buffer of the sample buffer cache
 * (samples/potad/potad_buf.c) into user space and pin it with the
 * kernel's gup_test ioctls (CONFIG_GUP_TEST): pins are recorded on the
 * POTAD pages and released, and a buffer freed while pinned keeps its
 * units out of the free space until the last unpin.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "../../../../mm/gup_test.h"
#include "../kselftest_harness.h"
#include "potad_util.h"

#define BUF_DIR		"/sys/kernel/debug/potad_buf"
#define GUP_TEST	"/sys/kernel/debug/gup_test"
#define PINS		"/sys/kernel/debug/potad/pins"
#define PAGE		4096UL
#define SIZE		65536UL

/* The first cached buffer: its block number and physical address. */
static int first_buf(unsigned long long *blkno, unsigned long long *phys)
{
	FILE *f = fopen(BUF_DIR "/buffers", "r");
	unsigned long long size;
	int n;

	if (!f)
		return -1;
	n = fscanf(f, "%llu %llu %llx", blkno, &size, phys);
	fclose(f);
	return n == 3 && size == SIZE ? 0 : -1;
}

/* Cached buffers holding physical address @phys, or -1. */
static int buffers_covering(unsigned long long phys)
{
	FILE *f = fopen(BUF_DIR "/buffers", "r");
	unsigned long long b, s, ph;
	int n = 0;

	if (!f)
		return -1;
	while (fscanf(f, "%llu %llu %llx", &b, &s, &ph) == 3)
		n += phys >= ph && phys < ph + s;
	fclose(f);
	return n;
}

/* Lines of /sys/kernel/debug/potad/pins, and their pins. */
static long pinned_pages(long *pins)
{
	FILE *f = fopen(PINS, "r");
	char line[256];
	long n = 0, p;

	*pins = 0;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "pfn %*x pins %ld", &p) == 1) {
			n++;
			*pins += p;
		}
	fclose(f);
	return n;
}

/* units_allocated summed over the instances of 4 KB units. */
static long long allocated_pages(void)
{
	return instances_sum("units_allocated", 12);
}

FIXTURE(mapped) {
	int gup;
	char *p;
	unsigned long long blkno, phys;
};

FIXTURE_SETUP(mapped)
{
	int fd;
	unsigned long i;

	self->p = MAP_FAILED;
	self->gup = -1;
	if (access(BUF_DIR "/map", R_OK))
		SKIP(return, "%s missing (CONFIG_SAMPLE_POTAD_BUF)",
		     BUF_DIR "/map");
	self->gup = open(GUP_TEST, O_RDWR);
	if (self->gup < 0)
		SKIP(return, "%s missing (CONFIG_GUP_TEST)", GUP_TEST);
	ASSERT_EQ(write_str(BUF_DIR "/ctl", "drop\n"), 0);
	ASSERT_EQ(write_str(BUF_DIR "/ctl", "fill 1 65536\n"), 0);
	ASSERT_EQ(first_buf(&self->blkno, &self->phys), 0);
	fd = open(BUF_DIR "/map", O_RDWR);
	ASSERT_GE(fd, 0);
	/* Only whole buffers, shared. */
	EXPECT_EQ(mmap(NULL, SIZE / 2, PROT_READ, MAP_SHARED, fd,
		       self->blkno * PAGE), MAP_FAILED);
	EXPECT_EQ(mmap(NULL, SIZE, PROT_READ, MAP_PRIVATE, fd,
		       self->blkno * PAGE), MAP_FAILED);
	self->p = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		       self->blkno * PAGE);
	close(fd);
	ASSERT_NE(self->p, MAP_FAILED);
	for (i = 0; i < SIZE; i += PAGE)
		self->p[i] = (char)(i / PAGE + 1);
}

FIXTURE_TEARDOWN(mapped)
{
	if (self->p != MAP_FAILED)
		munmap(self->p, SIZE);
	if (self->gup >= 0)
		close(self->gup);
	write_str(BUF_DIR "/ctl", "drop\n");
}

/* The kernel's pin benchmarks on the mapping: pinned, then unpinned. */
TEST_F(mapped, pin_benchmarks)
{
	struct gup_test g = {
		.addr = (unsigned long)self->p,
		.size = SIZE,
		.nr_pages_per_call = 4,
		.gup_flags = 1,		/* FOLL_WRITE */
	};
	long pins;

	ASSERT_EQ(ioctl(self->gup, PIN_FAST_BENCHMARK, &g), 0);
	EXPECT_EQ(pinned_pages(&pins), 0);
	ASSERT_EQ(ioctl(self->gup, PIN_LONGTERM_BENCHMARK, &g), 0);
	EXPECT_EQ(pinned_pages(&pins), 0);
	g.test_flags = GUP_TEST_FLAG_DUMP_PAGES_USE_PIN;
	g.which_pages[0] = 1;
	g.which_pages[1] = SIZE / PAGE;
	ASSERT_EQ(ioctl(self->gup, DUMP_USER_PAGES_TEST, &g), 0);
	EXPECT_EQ(pinned_pages(&pins), 0);
	/* The data went through untouched. */
	EXPECT_EQ(self->p[0], 1);
	EXPECT_EQ(self->p[SIZE - PAGE], (char)(SIZE / PAGE));
}

/*
 * Long-term pins (slow and fast GUP) recorded on every page; the buffer
 * unmapped and freed by its owner while pinned stays allocated until the
 * pins go.
 */
static void free_while_pinned(struct __test_metadata *_metadata,
			      struct _test_data_mapped *self,
			      unsigned int flags)
{
	struct pin_longterm_test t = {
		.addr = (unsigned long)self->p,
		.size = SIZE,
		.flags = flags | PIN_LONGTERM_TEST_FLAG_USE_WRITE,
	};
	long long allocated;
	long pins;

	ASSERT_EQ(ioctl(self->gup, PIN_LONGTERM_TEST_START, &t), 0);
	EXPECT_EQ(pinned_pages(&pins), SIZE / PAGE);
	EXPECT_EQ(pins, SIZE / PAGE);
	ASSERT_EQ(munmap(self->p, SIZE), 0);
	self->p = MAP_FAILED;
	ASSERT_EQ(write_str(BUF_DIR "/ctl", "drop\n"), 0);
	allocated = allocated_pages();
	EXPECT_EQ(pinned_pages(&pins), SIZE / PAGE);
	/* New buffers do not get the pinned units. */
	ASSERT_EQ(write_str(BUF_DIR "/ctl", "fill 64 65536\n"), 0);
	EXPECT_EQ(buffers_covering(self->phys), 0);
	ASSERT_EQ(write_str(BUF_DIR "/ctl", "drop\n"), 0);
	EXPECT_EQ(allocated_pages(), allocated);
	ASSERT_EQ(ioctl(self->gup, PIN_LONGTERM_TEST_STOP), 0);
	EXPECT_EQ(pinned_pages(&pins), 0);
	EXPECT_EQ(allocated_pages(), allocated - (long long)(SIZE / PAGE));
}

TEST_F(mapped, free_while_pinned)
{
	free_while_pinned(_metadata, self, 0);
}

TEST_F(mapped, free_while_pinned_fast)
{
	free_while_pinned(_metadata, self, PIN_LONGTERM_TEST_FLAG_USE_FAST);
}

/*
 * Plain references (FOLL_GET) on POTAD pages are refused, slow and fast:
 * only pins are recorded, and a reference could outlive the block.
 */
TEST_F(mapped, get_refused)
{
	struct gup_test g = {
		.addr = (unsigned long)self->p,
		.size = SIZE,
		.nr_pages_per_call = 4,
	};
	long pins;

	ASSERT_EQ(ioctl(self->gup, GUP_BASIC_TEST, &g), 0);
	EXPECT_EQ(g.size, 0);
	g.size = SIZE;
	ASSERT_EQ(ioctl(self->gup, GUP_FAST_BENCHMARK, &g), 0);
	EXPECT_EQ(g.size, 0);
	EXPECT_EQ(pinned_pages(&pins), 0);
	/* Pins still work. */
	g.size = SIZE;
	ASSERT_EQ(ioctl(self->gup, PIN_BASIC_TEST, &g), 0);
	EXPECT_EQ(g.size, SIZE);
	EXPECT_EQ(pinned_pages(&pins), 0);
}

/*
 * A mapping moved by mremap() and copied into a child by fork() (after
 * MADV_DOFORK) holds one reference per copy: the buffer dropped from the
 * cache goes back only when the last copy is unmapped, once.
 */
TEST_F(mapped, mremap_and_fork)
{
	long long allocated;
	char *q;
	int status;
	pid_t pid;

	q = mmap(NULL, SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(q, MAP_FAILED);
	q = mremap(self->p, SIZE, SIZE, MREMAP_MAYMOVE | MREMAP_FIXED, q);
	ASSERT_NE(q, MAP_FAILED);
	self->p = q;
	EXPECT_EQ(q[PAGE], 2);
	ASSERT_EQ(madvise(q, SIZE, MADV_DOFORK), 0);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid)
		_exit(q[2 * PAGE] == 3 ? 0 : 1);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	/* The child's copy is gone; ours still holds the block. */
	ASSERT_EQ(write_str(BUF_DIR "/ctl", "drop\n"), 0);
	allocated = allocated_pages();
	EXPECT_EQ(q[3 * PAGE], 4);
	ASSERT_EQ(munmap(q, SIZE), 0);
	self->p = MAP_FAILED;
	EXPECT_EQ(allocated_pages(), allocated - (long long)(SIZE / PAGE));
}

TEST_HARNESS_MAIN
