// SPDX-License-Identifier: GPL-2.0
/*
 * POTAD swap benchmark (not a test; make bench-swap runs it in the guest
 * on the POTAD-swap kernel and on a CONFIG_POTAD_SWAP=n kernel).
 *
 *   potad_swap_bench frag ROUNDS [SEED]
 *	16, 32 and 64 KB folios together on a swap device only a little
 *	larger than what is swapped out: 16 MB of each size (48 MB) on a
 *	52 MB device.  Each round reads random single pages back (order-0
 *	swap-ins that free single slots inside runs), drops random
 *	folio-sized pieces with MADV_DONTNEED and faults them back as large
 *	folios, then pages everything out.  Prints, per size, the folios
 *	swapped out whole (swpout) and those split for want of a run
 *	(swpout_fallback), summed over the rounds.
 *   potad_swap_bench tput ROUNDS
 *	One thread per CPU, each with 16 MB of 4 KB pages on a 64 MB
 *	device: page it out (MADV_PAGEOUT), read it all back; prints the
 *	swap-out and swap-in throughput summed over the threads.
 *
 * Both write their own swap header to /dev/zram0 and swap it on and off.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/swap.h>
#include <time.h>

#include "potad_swap_util.h"

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT	21
#endif

static const unsigned int frag_kb[] = { 16, 32, 64 };

static int zram_on(unsigned long slots)
{
	swapoff(ZDEV);
	write_str(ZRAM "/reset", "1");
	if (write_str(ZRAM "/disksize", "64M"))
		return -1;
	if (write_header(slots, NULL, 0))
		return -1;
	return swapon(ZDEV, 0);
}

static void zram_off(void)
{
	swapoff(ZDEV);
	write_str(ZRAM "/reset", "1");
}

/* Fault [p, p + bytes) in, with only @kb folios enabled. */
static void fault_in(unsigned char *p, size_t bytes, unsigned int kb)
{
	size_t i;

	set_mthp(kb);
	for (i = 0; i < bytes; i += PAGE)
		p[i] = (unsigned char)(i / PAGE + kb);
	set_mthp(0);
}

static int run_frag(unsigned int rounds, unsigned int seed)
{
	const size_t bytes = 16UL << 20;
	long long out0[3], fb0[3];
	unsigned char *p[3];
	long long cached, cached_max = 0;
	unsigned int r, s;
	size_t i, fsz;

	cpu_set_t cpus;

	/* MADV_PAGEOUT drains only this CPU's LRU batches. */
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);
	/* 48 MB of data, 52 MB of slots: about 92 % full once paged out. */
	if (zram_on((52UL << 20) / PAGE)) {
		perror("swapon");
		return 1;
	}
	srand(seed);
	for (s = 0; s < 3; s++) {
		p[s] = map_aligned(bytes, 2UL << 20);
		if (!p[s])
			return 1;
		fault_in(p[s], bytes, frag_kb[s]);
	}
	for (s = 0; s < 3; s++) {
		madvise(p[s], bytes, MADV_PAGEOUT);
		out0[s] = mthp_stat(frag_kb[s], "swpout");
		fb0[s] = mthp_stat(frag_kb[s], "swpout_fallback");
	}
	for (r = 0; r < rounds; r++) {
		for (s = 0; s < 3; s++) {
			fsz = frag_kb[s] * 1024UL;
			/* Single pages back: slots freed inside runs. */
			for (i = 0; i < bytes / PAGE / 8; i++)
				p[s][(rand() % (bytes / PAGE)) * PAGE] ^= 1;
			/* Folio-sized pieces dropped, faulted back large. */
			for (i = 0; i < bytes / fsz / 8; i++) {
				unsigned char *q = p[s] + (rand() %
					(bytes / fsz)) * fsz;

				madvise(q, fsz, MADV_DONTNEED);
				fault_in(q, fsz, frag_kb[s]);
			}
		}
		for (s = 0; s < 3; s++)
			madvise(p[s], bytes, MADV_PAGEOUT);
		/* Slots the swap cache holds: mm/swapfile.c may reclaim them. */
		cached = read_key("/proc/meminfo", "SwapCached", ':');
		cached_max = cached > cached_max ? cached : cached_max;
	}
	printf("frag: rounds %u seed %u device_kb %lu data_kb %lu\n", rounds,
	       seed, 52UL << 10, 48UL << 10);
	printf("frag: swapcached_max_kb %lld\n", cached_max);
	for (s = 0; s < 3; s++) {
		long long out = mthp_stat(frag_kb[s], "swpout") - out0[s];
		long long fb = mthp_stat(frag_kb[s], "swpout_fallback") - fb0[s];

		printf("frag: %ukB swpout %lld swpout_fallback %lld fallback %.2f%%\n",
		       frag_kb[s], out, fb,
		       out + fb ? 100.0 * fb / (out + fb) : 0.0);
	}
	/* POTAD's counters, if it hands out the slots. */
	if (!access(POTAD_SWAP, R_OK) && system("cat " POTAD_SWAP))
		return 1;
	for (s = 0; s < 3; s++)
		munmap(p[s], bytes);
	zram_off();
	return 0;
}

struct tput_arg {
	int cpu;
	unsigned int rounds;
	double out_s, in_s;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *tput_thread(void *v)
{
	struct tput_arg *a = v;
	const size_t bytes = 16UL << 20;
	unsigned long sum = 0;
	unsigned char *p;
	unsigned int r;
	cpu_set_t cpus;
	double t0;
	size_t i;

	CPU_ZERO(&cpus);
	CPU_SET(a->cpu, &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);
	p = map_aligned(bytes, PAGE);
	if (!p)
		return NULL;
	for (i = 0; i < bytes; i += PAGE)
		p[i] = (unsigned char)(i / PAGE);
	for (r = 0; r < a->rounds; r++) {
		t0 = now();
		madvise(p, bytes, MADV_PAGEOUT);
		a->out_s += now() - t0;
		t0 = now();
		for (i = 0; i < bytes; i += PAGE)
			sum += p[i];
		a->in_s += now() - t0;
	}
	munmap(p, bytes);
	return (void *)sum;
}

static int run_tput(unsigned int rounds)
{
	struct tput_arg a[2] = { { 0, rounds }, { 1, rounds } };
	pthread_t t[2];
	double mb = 2 * 16.0 * rounds, out = 0, in = 0;
	int i;

	set_mthp(0);
	if (zram_on((64UL << 20) / PAGE - 1)) {
		perror("swapon");
		return 1;
	}
	for (i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, tput_thread, &a[i]);
	for (i = 0; i < 2; i++) {
		pthread_join(t[i], NULL);
		out = out > a[i].out_s ? out : a[i].out_s;
		in = in > a[i].in_s ? in : a[i].in_s;
	}
	printf("tput: rounds %u threads 2 MB %.0f swapout_MBps %.1f swapin_MBps %.1f\n",
	       rounds, mb, mb / out, mb / in);
	zram_off();
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "frag"))
		return run_frag(atoi(argv[2]), argc > 3 ? atoi(argv[3]) : 1);
	if (argc >= 3 && !strcmp(argv[1], "tput"))
		return run_tput(atoi(argv[2]));
	fprintf(stderr, "usage: %s frag ROUNDS [SEED] | tput ROUNDS\n",
		argv[0]);
	return 2;
}
