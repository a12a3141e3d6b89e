// SPDX-License-Identifier: GPL-2.0
/*
 * POTAD userspace benchmark: mm/potad.c compiled as is, without
 * sanitizers.  Not a test.
 *
 *	./potad_bench
 *		ns per alloc and per free for several orders, on a fresh and
 *		on a fragmented 16 GiB space of 4 KiB units (4M units)
 *	./potad_bench cachegrind setup|noop|ops|alloc|free [N]
 *		for scripts/cachegrind.sh: a 64 GiB space of 4 KiB units (16M
 *		units), fragmented by 256K order-0 blocks at random units, then
 *		N times: free a random block, allocate an order-0 block
 *		(ops); or the same random picks and descriptor accesses
 *		without calling POTAD (noop); or N order-0 allocations
 *		(alloc); or N frees of distinct random blocks (free); or
 *		nothing (setup)
 *
 *	./potad_bench lookup [N...]
 *		the physical-address index (mm/potad_lookup.c): a memory space
 *		of N live order-0 blocks of 4 KiB (default 1K, 1M and 10M),
 *		then ns per random lookup with potad_lookup(), a raw
 *		mtree_load() of the instance's index, xa_load() of an xarray
 *		mapping the same pfns to the same descriptors, and an array
 *		of 64-byte "struct page"s indexed by pfn (pfn_to_page() with
 *		SPARSEMEM_VMEMMAP, the floor), and an experiment ("chunked":
 *		a maple tree of 64-unit chunks pointing at arrays of
 *		descriptors); then ns per order-0 allocation
 *		plus free into a two-unit hole amid the live blocks, in the
 *		memory space (indexed) and in an abstract space (not indexed)
 *
 *	./potad_bench partial
 *		swap's frees (mm/potad_swap.c): an indexed abstract space
 *		(%POTAD_ABSTRACT | %POTAD_INDEX) of 4M units; ns per order-0
 *		block freed whole with potad_free(), against ns per unit freed
 *		one by one with potad_free_range() from order-9 blocks, both
 *		in random order, the same 64 at a time with
 *		potad_free_parts() (in random order and in order), and the
 *		same order-0 frees in a plain abstract space
 *
 * Descriptors are caller-provided (POTAD_TYPE_CALLER_MEM) so that the
 * numbers are POTAD's own, not the shim slab's (malloc); the "slab" table
 * uses a slab type through the malloc-backed shim for comparison.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/kernel.h>
#include <linux/maple_tree.h>
#include <linux/potad.h>
#include <linux/rcupdate.h>
#include <linux/xarray.h>
#include <potad_shim.h>

#include "../../../mm/potad_internal.h"

#include "common.h"

/* The bench's descriptors are arrays it frees itself, after rcu_barrier(). */
static void bench_release(struct potad_desc *desc)
{
}

static const struct potad_type_ops bench_cm_ops = {
	.release = bench_release,
};

static struct potad_type t_cm = {
	.name = "bench_cm",
	.size = sizeof(struct potad_desc),
	.flags = POTAD_TYPE_CALLER_MEM,
	.ops = &bench_cm_ops,
};

static struct potad_type t_slab = {
	.name = "bench_slab",
	.size = 256,
};

/* A line of the report (printf). */
__printf(1, 2)
static void bench_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

static void die(const char *what, long err)
{
	fprintf(stderr, "potad_bench: %s: %ld\n", what, err);
	exit(1);
}

static void space_init(struct potad *pa, unsigned long span)
{
	int ret = potad_init(pa, "bench", POTAD_ABSTRACT, 0, 0, span, 63);

	if (ret)
		die("potad_init", ret);
	ret = potad_add_range(pa, 0, span);
	if (ret)
		die("potad_add_range", ret);
}

/* Allocate half of the order-0 units, chosen at random. */
static unsigned long fragment(struct potad *pa, unsigned long span,
			      struct potad_desc *descs, struct rng *r)
{
	unsigned long u, n = 0;

	for (u = 0; u < span; u++) {
		if (!(rng_next(r) & 1))
			continue;
		if (potad_alloc_desc(pa, &descs[n], &t_cm, u, 0, NULL, GFP_KERNEL))
			die("fragment", u);
		n++;
	}
	return n;
}

struct result {
	unsigned long n;
	double alloc_ns, free_ns;
};

static struct result run_order(struct potad *pa, unsigned int order,
			       unsigned long max, struct potad_desc *descs,
			       struct potad_desc **slab)
{
	struct result res = { 0 };
	uint64_t t0, t1, t2;
	unsigned long i;

	t0 = now_ns();
	for (i = 0; i < max; i++) {
		if (slab) {
			slab[i] = potad_alloc(pa, &t_slab, order, NULL,
					      GFP_KERNEL);
			if (IS_ERR(slab[i]))
				break;
		} else if (potad_alloc_desc(pa, &descs[i], &t_cm, POTAD_ANY,
					    order, NULL, GFP_KERNEL)) {
			break;
		}
	}
	t1 = now_ns();
	res.n = i;
	for (i = 0; i < res.n; i++)
		if (potad_free(pa, slab ? slab[i] : &descs[i]))
			die("free", i);
	t2 = now_ns();
	/* The failing allocation, if any, is part of the alloc time. */
	res.alloc_ns = (double)(t1 - t0) / (res.n + (res.n < max));
	res.free_ns = res.n ? (double)(t2 - t1) / res.n : 0;
	return res;
}

static void table(bool use_slab)
{
	static const unsigned int orders[] = { 0, 1, 2, 4, 9, 10, 18 };
	const unsigned long span = 1UL << 22;	/* 16 GiB of 4 KiB units */
	const unsigned long max = 1UL << 20;
	struct potad_desc *descs = calloc(span, sizeof(*descs));
	struct potad_desc *frag = calloc(span, sizeof(*frag));
	struct potad_desc **slab = use_slab ? calloc(max, sizeof(*slab)) : NULL;
	struct potad fresh, fragd;
	struct rng r = { 42 };
	unsigned long nfrag, i;
	size_t k;

	space_init(&fresh, span);
	space_init(&fragd, span);
	nfrag = fragment(&fragd, span, frag, &r);

	bench_info("\n%s descriptors; 16 GiB space of 4 KiB units (%lu units); up to %lu blocks per order\n",
		   use_slab ? "slab (malloc-backed shim)" : "caller-provided",
		   span, max);
	printf("fragmented: %lu random order-0 units allocated first (half)\n",
	       nfrag);
	printf("%5s | %8s %10s %10s | %8s %10s %10s\n", "order", "fresh n",
	       "alloc ns", "free ns", "frag n", "alloc ns", "free ns");
	printf("------+--------------------------------+--------------------------------\n");
	for (k = 0; k < ARRAY_SIZE(orders); k++) {
		unsigned int order = orders[k];
		unsigned long m = min(max, span >> order);
		struct result a, b;

		a = run_order(&fresh, order, m, descs, slab);
		b = run_order(&fragd, order, m, descs, slab);
		printf("%5u | %8lu %10.1f %10.1f | %8lu %10.1f %10.1f%s\n",
		       order, a.n, a.alloc_ns, a.free_ns, b.n, b.alloc_ns,
		       b.free_ns, b.n < m ? "  (frag: then -ENOSPC)" : "");
	}
	for (i = 0; i < nfrag; i++)
		potad_free(&fragd, &frag[i]);
	potad_destroy(&fresh);
	potad_destroy(&fragd);
	free(descs);
	free(frag);
	free(slab);
}

/* Shuffle @v[0..n) (Fisher-Yates). */
static void shuffle(unsigned long *v, unsigned long n, struct rng *r)
{
	unsigned long i, j, t;

	for (i = n - 1; i > 0; i--) {
		j = rng_below(r, i + 1);
		t = v[i];
		v[i] = v[j];
		v[j] = t;
	}
}

/* ns per potad_free() of @n order-0 blocks, in random order. */
static double partial_order0(unsigned int flags, unsigned long span,
			     struct potad_desc *descs, unsigned long *perm,
			     struct rng *r)
{
	struct potad pa;
	unsigned long i;
	uint64_t t0;

	if (potad_init(&pa, "bench-partial", flags, 0, 0, span, 9) ||
	    potad_add_range(&pa, 0, span))
		die("partial init", flags);
	for (i = 0; i < span; i++) {
		if (potad_alloc_desc(&pa, &descs[i], &t_cm, POTAD_ANY, 0, NULL,
				     GFP_KERNEL))
			die("partial alloc", i);
		perm[i] = i;
	}
	shuffle(perm, span, r);
	t0 = now_ns();
	for (i = 0; i < span; i++)
		if (potad_free(&pa, &descs[perm[i]]))
			die("partial free", i);
	t0 = now_ns() - t0;
	potad_destroy(&pa);
	return (double)t0 / span;
}

/*
 * ns per unit freed from order-9 blocks: with potad_free_range() one by
 * one if @batch is 0, else @batch at a time with potad_free_parts(), as
 * mm/potad_swap.c gives swap's frees back.  Random order, or with
 * @sequential in order (a swap-in of what was swapped out together).
 */
static double partial_units(unsigned long span, struct potad_desc *descs,
			    unsigned long *perm, struct rng *r,
			    unsigned int batch, bool sequential)
{
	struct potad_part parts[64];
	unsigned int n = 0;
	struct potad pa;
	unsigned long i, u;
	uint64_t t0;

	if (potad_init(&pa, "bench-partial", POTAD_ABSTRACT | POTAD_INDEX, 0,
		       0, span, 9) || potad_add_range(&pa, 0, span))
		die("partial init", 0);
	for (i = 0; i < span >> 9; i++)
		if (potad_alloc_desc(&pa, &descs[i], &t_cm, POTAD_ANY, 9, NULL,
				     GFP_KERNEL))
			die("partial alloc", i);
	for (u = 0; u < span; u++)
		perm[u] = u;
	if (!sequential)
		shuffle(perm, span, r);
	t0 = now_ns();
	for (i = 0; i < span; i++) {
		u = perm[i];
		if (!batch) {
			if (potad_free_range(&pa, potad_unit_desc(&pa, u), u, 1,
					     GFP_NOWAIT))
				die("partial free_range", u);
			continue;
		}
		/* As potad_swap_put(): a unit after the last extends it. */
		if (n && parts[n - 1].start + parts[n - 1].nr == u &&
		    parts[n - 1].desc == potad_unit_desc(&pa, u)) {
			parts[n - 1].nr++;
			continue;
		}
		if (n == batch) {
			if (potad_free_parts(&pa, parts, n) != n)
				die("partial free_parts", u);
			n = 0;
		}
		parts[n++] = (struct potad_part){ potad_unit_desc(&pa, u), u, 1 };
	}
	if (n && potad_free_parts(&pa, parts, n) != n)
		die("partial free_parts", n);
	t0 = now_ns() - t0;
	potad_destroy(&pa);
	return (double)t0 / span;
}

static void partial_table(void)
{
	const unsigned long span = 1UL << 22;
	struct potad_desc *descs = calloc(span, sizeof(*descs));
	unsigned long *perm = calloc(span, sizeof(*perm));
	struct rng r = { 7 };
	double plain, indexed, units, batched, seq;
	int k;

	if (!descs || !perm)
		die("calloc", 0);
	printf("swap's frees: %lu units, random order, caller-provided descriptors, %s\n",
	       span, "ns per unit freed");
	printf("%-58s %8s\n", "", "ns/unit");
	for (k = 0; k < 3; k++) {
		plain = partial_order0(POTAD_ABSTRACT, span, descs, perm, &r);
		indexed = partial_order0(POTAD_ABSTRACT | POTAD_INDEX, span,
					 descs, perm, &r);
		units = partial_units(span, descs, perm, &r, 0, false);
		batched = partial_units(span, descs, perm, &r, 64, false);
		seq = partial_units(span, descs, perm, &r, 64, true);
		printf("run %d: %-51s %8.1f\n", k,
		       "order-0 blocks, potad_free(), plain abstract", plain);
		printf("run %d: %-51s %8.1f\n", k,
		       "order-0 blocks, potad_free(), indexed", indexed);
		printf("run %d: %-51s %8.1f  (%.2fx the indexed order-0 free)\n",
		       k, "units of order-9 blocks, potad_free_range(), indexed",
		       units, units / indexed);
		printf("run %d: %-51s %8.1f  (%.2fx)\n", k,
		       "the same, 64 per potad_free_parts()", batched,
		       batched / indexed);
		printf("run %d: %-51s %8.1f  (%.2fx)\n", k,
		       "the same in order, 64 per potad_free_parts()", seq,
		       seq / indexed);
	}
	free(descs);
	free(perm);
}

/* The workload measured by scripts/cachegrind.sh. */
static int run_cachegrind(const char *mode, unsigned long nops)
{
	const unsigned long span = 1UL << 24;	/* 64 GiB of 4 KiB units */
	const unsigned long nlive = 1UL << 18;
	struct potad_desc *descs = calloc(nlive, sizeof(*descs));
	struct potad_desc *extra;
	unsigned long *perm = calloc(nlive, sizeof(*perm));
	struct rng r = { 7 };
	struct potad pa;
	unsigned long i, sum = 0, done = 0;
	bool ops = !strcmp(mode, "ops"), noop = !strcmp(mode, "noop");

	if (!ops && !noop && strcmp(mode, "setup") && strcmp(mode, "alloc") &&
	    strcmp(mode, "free"))
		die("cachegrind mode must be setup, noop, ops, alloc or free", 0);
	nops = min(nops, nlive);
	extra = calloc(nops, sizeof(*extra));
	space_init(&pa, span);
	for (i = 0; i < nlive; ) {
		unsigned long u = rng_below(&r, span);

		if (!potad_alloc_desc(&pa, &descs[i], &t_cm, u, 0, NULL, GFP_KERNEL))
			i++;
	}
	/* A random order of the live blocks, for "free". */
	for (i = 0; i < nlive; i++)
		perm[i] = i;
	for (i = nlive - 1; i > 0; i--) {
		unsigned long j = rng_below(&r, i + 1), t = perm[i];

		perm[i] = perm[j];
		perm[j] = t;
	}
	if (!strcmp(mode, "alloc")) {
		for (i = 0; i < nops; i++)
			if (potad_alloc_desc(&pa, &extra[i], &t_cm, POTAD_ANY, 0,
					     NULL, GFP_KERNEL))
				die("alloc", i);
		done = nops;
	}
	if (!strcmp(mode, "free")) {
		for (i = 0; i < nops; i++)
			if (potad_free(&pa, &descs[perm[i]]))
				die("free", i);
		done = nops;
	}
	for (i = 0; i < nops && (ops || noop); i++) {
		struct potad_desc *d = &descs[rng_below(&r, nlive)];

		if (ops) {
			if (potad_free(&pa, d))
				die("free", i);
			if (potad_alloc_desc(&pa, d, &t_cm, POTAD_ANY, 0, NULL, GFP_KERNEL))
				die("alloc", i);
		} else {
			/* What the calls would read and write of d. */
			sum += READ_ONCE(d->start) + READ_ONCE(d->order);
			WRITE_ONCE(d->nr_live, 1);
		}
	}
	if (ops)
		done = 2 * nops;
	printf("cachegrind %s: %lu ops (%lu)\n", mode, done, sum);
	return 0;
}

/* The lookup benchmark */

#define LK_BASE		BIT(34)		/* in 4 KiB units: 64 TiB */
#define LK_PROBES	BIT(20)
#define LK_ROUNDS	5

struct fake_page {
	unsigned long flags;
	unsigned long rest[7];
};

enum { LK_POTAD, LK_MTREE, LK_XA, LK_PAGE, LK_CHUNKED, LK_NR };

static const char *const lk_names[LK_NR] = {
	"potad_lookup()", "index_load()", "xa_load()", "pfn_to_page()",
	"chunked",
};

/*
 * The "cover small blocks through their enclosing block" idea, measured
 * without changing POTAD: a maple tree with one entry per aligned chunk
 * of LK_CHUNK units, pointing at an array of the chunk's descriptors.
 */
#define LK_CHUNK_SHIFT	6
#define LK_CHUNK	BIT(LK_CHUNK_SHIFT)

static struct maple_tree lk_chunks;

/* Best of LK_ROUNDS, ns per lookup of every probe. */
static double lk_time(int how, struct potad *pa, struct xarray *xa,
		      struct fake_page *vmemmap, const unsigned long *probe)
{
	double best = 1e30;
	unsigned long i, sum = 0;
	int round;

	for (round = 0; round < LK_ROUNDS; round++) {
		uint64_t t0 = now_ns();

		for (i = 0; i < LK_PROBES; i++) {
			unsigned long pfn = probe[i];
			void *p;

			switch (how) {
			case LK_POTAD:
				rcu_read_lock();
				p = potad_lookup((phys_addr_t)pfn << 12);
				rcu_read_unlock();
				break;
			case LK_MTREE:
				rcu_read_lock();
				p = potad_index_load(pa, pfn);
				rcu_read_unlock();
				break;
			case LK_XA:
				p = xa_load(xa, pfn);
				break;
			case LK_CHUNKED: {
				void **chunk;

				rcu_read_lock();
				chunk = mtree_load(&lk_chunks,
						   pfn >> LK_CHUNK_SHIFT);
				p = chunk ? chunk[pfn & (LK_CHUNK - 1)] : NULL;
				rcu_read_unlock();
				break;
			}
			default:
				p = (void *)READ_ONCE(vmemmap[pfn - LK_BASE].flags);
				break;
			}
			sum += (unsigned long)p;
		}
		best = min(best, (double)(now_ns() - t0) / LK_PROBES);
	}
	if (sum == 1)
		printf("%lu\n", sum);
	return best;
}

/* ns per order-0 alloc + free into the two-unit hole of @pa. */
static double lk_alloc_free(struct potad *pa)
{
	const unsigned long n = 200000;
	double best = 1e30;
	struct potad_desc *d;
	unsigned long i;
	int round;

	for (round = 0; round < LK_ROUNDS; round++) {
		uint64_t t0 = now_ns();

		for (i = 0; i < n; i++) {
			d = potad_alloc(pa, &t_slab, 0, NULL, GFP_KERNEL);
			if (IS_ERR(d))
				die("alloc", PTR_ERR(d));
			potad_free(pa, d);
		}
		best = min(best, (double)(now_ns() - t0) / n);
		rcu_barrier();
	}
	return best;
}

/* @n live order-0 blocks from LK_BASE, a two-unit hole in the middle. */
static void lk_space(struct potad *pa, unsigned int flags, unsigned long n,
		     struct potad_desc *descs, struct xarray *xa)
{
	unsigned long i;
	int ret;

	ret = potad_init(pa, "lookup", flags, 12, LK_BASE,
			 roundup_pow_of_two(n), 63);
	if (!ret)
		ret = potad_add_range(pa, LK_BASE, n);
	for (i = 0; !ret && i < n; i++) {
		ret = potad_alloc_desc(pa, &descs[i], &t_cm, POTAD_ANY, 0,
				       NULL, GFP_KERNEL);
		if (!ret && xa)
			ret = xa_err(xa_store(xa, descs[i].start, &descs[i],
					      GFP_KERNEL));
	}
	for (i = n / 2; !ret && i < n / 2 + 2; i++)
		ret = potad_free(pa, &descs[i]);
	if (ret)
		die("lookup setup", ret);
}

static void lk_teardown(struct potad *pa, unsigned long n,
			struct potad_desc *descs)
{
	unsigned long i;

	for (i = 0; i < n; i++)
		if (descs[i].potad == pa && descs[i].state == POTAD_DESC_LIVE)
			potad_free(pa, &descs[i]);
	potad_destroy(pa);
}

static void lk_chunks_build(unsigned long n, struct potad_desc *descs)
{
	unsigned long i;

	/* As pa->chunks (POTAD_MT_FLAGS in mm/potad_lookup.c). */
	mt_init_flags(&lk_chunks, MT_FLAGS_USE_RCU | MT_FLAGS_ALLOC_RANGE);
	for (i = 0; i < n; i += LK_CHUNK) {
		void **chunk = calloc(LK_CHUNK, sizeof(void *));
		unsigned long j, key = (LK_BASE + i) >> LK_CHUNK_SHIFT;

		if (!chunk)
			die("chunk", i);
		for (j = 0; j < LK_CHUNK && i + j < n; j++)
			if (descs[i + j].state == POTAD_DESC_LIVE)
				chunk[j] = &descs[i + j];
		if (mtree_store(&lk_chunks, key, chunk, GFP_KERNEL))
			die("chunk store", i);
	}
}

static void lk_chunks_free(void)
{
	unsigned long index = 0;
	void *chunk;

	mt_for_each(&lk_chunks, chunk, index, ULONG_MAX)
		free(chunk);
	mt_clear_in_rcu(&lk_chunks);
	mtree_destroy(&lk_chunks);
}

static void lookup_table(int argc, char **argv)
{
	static const unsigned long dflt[] = { 1000, 1000000, 10000000 };
	unsigned long *probe = malloc(LK_PROBES * sizeof(*probe));
	int i, how, nsizes = argc ? argc : (int)ARRAY_SIZE(dflt);
	struct rng r = { 11 };

	bench_info("\nphysical-address lookups: best of %d rounds of %lu random lookups, ns per lookup\n",
		   LK_ROUNDS, LK_PROBES);
	bench_info("chunked: a maple tree of %lu-unit chunks pointing at arrays of descriptors (an experiment)\n",
		   LK_CHUNK);
	printf("%10s | %14s %14s %10s %13s %8s | %9s | %14s %14s\n",
	       "live", lk_names[0], lk_names[1], lk_names[2], lk_names[3],
	       lk_names[4], "potad/mt", "alloc+free idx", "alloc+free abs");
	for (i = 0; i < nsizes; i++) {
		unsigned long n = argc ? strtoul(argv[i], NULL, 0) : dflt[i], j;
		struct potad_desc *descs = calloc(n, sizeof(*descs));
		struct fake_page *vmemmap = calloc(n, sizeof(*vmemmap));
		double ns[LK_NR], idx, abs;
		struct potad pa, plain;
		struct xarray xa;

		if (!descs || !vmemmap || !probe || n < 4)
			die("lookup: size", n);
		xa_init(&xa);
		lk_space(&pa, POTAD_MEMORY, n, descs, &xa);
		for (j = 0; j < LK_PROBES; j++)
			probe[j] = LK_BASE + rng_below(&r, n);
		lk_chunks_build(n, descs);
		for (how = 0; how < LK_NR; how++)
			ns[how] = lk_time(how, &pa, &xa, vmemmap, probe);
		lk_chunks_free();
		idx = lk_alloc_free(&pa);
		lk_teardown(&pa, n, descs);
		xa_destroy(&xa);
		memset(descs, 0, n * sizeof(*descs));
		lk_space(&plain, POTAD_ABSTRACT, n, descs, NULL);
		abs = lk_alloc_free(&plain);
		lk_teardown(&plain, n, descs);
		printf("%10lu | %14.1f %14.1f %10.1f %13.1f %8.1f | %9.2f | %14.1f %14.1f\n",
		       n, ns[LK_POTAD], ns[LK_MTREE], ns[LK_XA], ns[LK_PAGE],
		       ns[LK_CHUNKED], ns[LK_POTAD] / ns[LK_MTREE], idx, abs);
		fflush(stdout);
		rcu_barrier();
		free(descs);
		free(vmemmap);
	}
	free(probe);
}

int main(int argc, char **argv)
{
	potad_shim_init();
	potad_warn_quiet = 0;
	if (potad_type_register(&t_cm) || potad_type_register(&t_slab))
		die("potad_type_register", 0);
	if (argc > 1 && !strcmp(argv[1], "lookup")) {
		lookup_table(argc - 2, argv + 2);
		return potad_warn_count ? 1 : 0;
	}
	if (argc > 1 && !strcmp(argv[1], "partial")) {
		partial_table();
		return potad_warn_count ? 1 : 0;
	}
	if (argc > 1 && !strcmp(argv[1], "cachegrind"))
		return run_cachegrind(argc > 2 ? argv[2] : "ops",
				      argc > 3 ? strtoul(argv[3], NULL, 0) : 100000);
	bench_info("POTAD benchmark: mean ns per operation (clock_gettime monotonic), -O2, no sanitizers\n");
	bench_info("n blocks of the order allocated (lowest address first) until n or -ENOSPC, then freed in the same order\n");
	table(false);
	table(true);
	if (potad_warn_count)
		printf("\n%ld warnings!\n", potad_warn_count);
	return potad_warn_count ? 1 : 0;
}
