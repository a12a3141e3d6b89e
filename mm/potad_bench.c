// SPDX-License-Identifier: GPL-2.0
/*
 * POTAD lookup benchmark, /sys/kernel/debug/potad/bench.
 *
 * Writing "NR_BLOCKS [NR_LOOKUPS]" builds a memory space of NR_BLOCKS live
 * order-0 blocks of 4 KB far above RAM (POTAD never touches the memory it
 * manages) and an xarray that maps the same pfns to the same descriptors,
 * then times NR_LOOKUPS (default 1000000) random lookups each with
 * potad_lookup(), potad_index_load() of the instance's index, xa_load()
 * and, as the floor, page_folio(pfn_to_page()) of random real pfns.
 * Then it times an order-0 allocation plus free into a two-unit hole in
 * the middle of the live blocks, in the memory space (indexed) and in an abstract space of
 * the same shape (not indexed).  Each figure is the best of three rounds,
 * in ns per operation.  Reading the file shows the last table.
 * potad_bench_lookup_run() gives the same figures to the peers
 * benchmark (mm/potad_bench_peers.c).
 *
 * A benchmark, not a test: it asserts nothing.  Timings under TCG are
 * only comparable with each other within one run.
 */

#include <linux/debugfs.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/maple_tree.h>
#include <linux/memblock.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/potad.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/seq_buf.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include "potad_internal.h"

#define POTAD_BENCH_BASE	BIT(34)		/* in 4 KB units: 64 TB */
#define POTAD_BENCH_ROUNDS	3

/*
 * The descriptors are the run's array, freed after
 * potad_type_unregister() has waited for every release: nothing to do.
 */
static void potad_bench_release(struct potad_desc *desc)
{
}

static const struct potad_type_ops potad_bench_ops = {
	.release = potad_bench_release,
};

static struct potad_type potad_bench_type = {
	.name = "potad_bench",
	.size = sizeof(struct potad_desc),
	.flags = POTAD_TYPE_CALLER_MEM,
	.ops = &potad_bench_ops,
};

/* Descriptors of the allocations timed in potad_bench_alloc_free(). */
static struct potad_type potad_bench_slab_type = {
	.name = "potad_bench_slab",
	.size = sizeof(struct potad_desc),
};

static DEFINE_MUTEX(potad_bench_lock);
static char *potad_bench_out;

struct potad_bench {
	struct potad pa, plain;
	struct potad_desc *descs;
	struct xarray xa;
	unsigned long nr, *probe, *real, nr_probe;
};

static const char * const potad_bench_names[POTAD_BL_NR] = {
	[POTAD_BL_LOOKUP] = "potad_lookup()",
	[POTAD_BL_MTREE] = "index_load()",
	[POTAD_BL_XA] = "xa_load()",
	[POTAD_BL_FOLIO] = "page_folio()",
};

/* Lowest ns per lookup over the rounds, all probes each round. */
static u64 potad_bench_lookups(struct potad_bench *b, int how)
{
	unsigned long i, sum = 0;
	u64 t, best = U64_MAX;
	int r;

	for (r = 0; r < POTAD_BENCH_ROUNDS; r++) {
		t = ktime_get_ns();
		for (i = 0; i < b->nr_probe; i++) {
			unsigned long pfn = b->probe[i];
			void *p;

			switch (how) {
			case POTAD_BL_LOOKUP:
				rcu_read_lock();
				p = potad_lookup(PFN_PHYS(pfn));
				rcu_read_unlock();
				break;
			case POTAD_BL_MTREE:
				rcu_read_lock();
				p = potad_index_load(&b->pa, pfn);
				rcu_read_unlock();
				break;
			case POTAD_BL_XA:
				p = xa_load(&b->xa, pfn);
				break;
			default:
				p = page_folio(pfn_to_page(b->real[i]));
				p = (void *)READ_ONCE(((struct folio *)p)->flags);
				break;
			}
			sum += (unsigned long)p;
		}
		t = ktime_get_ns() - t;
		best = min(best, t);
		cond_resched();
	}
	/* Keep the loads. */
	if (sum == 1)
		pr_info("potad: bench: %lu\n", sum);
	return div_u64(best * 10, b->nr_probe);
}

/*
 * ns per order-0 allocation plus free into a hole of two units in the
 * middle of @pa's live blocks, with slab descriptors: what the index adds
 * is the difference between the memory space and the abstract one.
 */
static u64 potad_bench_alloc_free(struct potad *pa, unsigned long nr_ops)
{
	struct potad_desc *d;
	u64 t, best = U64_MAX;
	unsigned long i;
	int r;

	for (r = 0; r < POTAD_BENCH_ROUNDS; r++) {
		t = ktime_get_ns();
		for (i = 0; i < nr_ops; i++) {
			d = potad_alloc(pa, &potad_bench_slab_type, 0, NULL,
					GFP_KERNEL);
			if (IS_ERR(d))
				return 0;
			potad_free(pa, d);
		}
		t = ktime_get_ns() - t;
		best = min(best, t);
		/* Let the RCU-deferred descriptor frees catch up. */
		rcu_barrier();
	}
	return div_u64(best * 10, nr_ops);
}

/* Free what is live and wait until the descriptors may be reused. */
static void potad_bench_teardown(struct potad_bench *b, struct potad *pa)
{
	unsigned long i;

	for (i = 0; i < b->nr; i++) {
		struct potad_desc *d = &b->descs[i];

		if (d->potad == pa && d->state == POTAD_DESC_LIVE)
			potad_free(pa, d);
		if (!(i % 4096))
			cond_resched();
	}
	potad_destroy(pa);
}

static int potad_bench_setup(struct potad_bench *b, struct potad *pa,
			     unsigned int flags, bool xa)
{
	unsigned long span = roundup_pow_of_two(b->nr), i;
	int ret;

	ret = potad_init(pa, flags == POTAD_MEMORY ? "bench" : "bench-plain",
			 flags, PAGE_SHIFT, POTAD_BENCH_BASE, span,
			 POTAD_NR_ORDERS - 1);
	if (ret)
		return ret;
	ret = potad_add_range(pa, POTAD_BENCH_BASE, b->nr);
	for (i = 0; !ret && i < b->nr; i++) {
		struct potad_desc *d = &b->descs[i];

		ret = potad_alloc_desc(pa, d, &potad_bench_type, POTAD_ANY, 0,
				       NULL, GFP_KERNEL);
		if (!ret && xa)
			ret = xa_err(xa_store(&b->xa, d->start, d, GFP_KERNEL));
		if (!(i % 4096))
			cond_resched();
	}
	/* A hole of two units in the middle for the allocations. */
	for (i = b->nr / 2; !ret && i < b->nr / 2 + 2; i++)
		ret = potad_free(pa, &b->descs[i]);
	if (ret)
		potad_bench_teardown(b, pa);
	return ret;
}

/**
 * potad_bench_lookup_run() - Time lookups and what the index costs.
 * @nr: Live order-0 blocks in the benchmark's memory space.
 * @nr_probe: Random lookups per round.
 * @res: Filled with tenths of ns: per lookup (%POTAD_BL_LOOKUP ..
 *	%POTAD_BL_FOLIO) and per order-0 allocation plus free in the memory
 *	space and in an abstract space of the same shape (%POTAD_BL_INDEXED,
 *	%POTAD_BL_PLAIN).
 *
 * Context: Process context, may sleep; takes potad_bench_lock.
 * Return: 0, -EINVAL for sizes out of range, or -ENOMEM.
 */
int potad_bench_lookup_run(unsigned long nr, unsigned long nr_probe,
			   u64 *res)
{
	struct potad_bench *b;
	unsigned long i, pfn;
	int ret = -ENOMEM, how;

	if (nr < 4 || nr > (1UL << 26) || !nr_probe || nr_probe > (1UL << 24))
		return -EINVAL;
	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return -ENOMEM;
	mutex_lock(&potad_bench_lock);
	b->nr = nr;
	b->nr_probe = nr_probe;
	b->descs = kvcalloc(nr, sizeof(*b->descs), GFP_KERNEL);
	b->probe = kvmalloc_array(nr_probe, sizeof(long), GFP_KERNEL);
	b->real = kvmalloc_array(nr_probe, sizeof(long), GFP_KERNEL);
	xa_init(&b->xa);
	if (!b->descs || !b->probe || !b->real)
		goto free;
	for (i = 0; i < nr_probe; i++) {
		b->probe[i] = POTAD_BENCH_BASE + get_random_u32_below(nr);
		do {
			pfn = get_random_u32_below(max_pfn);
		} while (!pfn_valid(pfn));
		b->real[i] = pfn;
	}
	ret = potad_type_register(&potad_bench_type);
	if (ret)
		goto free;
	ret = potad_type_register(&potad_bench_slab_type);
	if (ret) {
		potad_type_unregister(&potad_bench_type);
		goto free;
	}
	ret = potad_bench_setup(b, &b->pa, POTAD_MEMORY, true);
	if (ret)
		goto unregister;
	/* Probe potad_index_load() of the index itself, by unit = pfn. */
	for (how = 0; how <= POTAD_BL_FOLIO; how++)
		res[how] = potad_bench_lookups(b, how);
	res[POTAD_BL_INDEXED] = potad_bench_alloc_free(&b->pa, 100000);
	potad_bench_teardown(b, &b->pa);
	memset(b->descs, 0, nr * sizeof(*b->descs));
	ret = potad_bench_setup(b, &b->plain, POTAD_ABSTRACT, false);
	if (ret)
		goto unregister;
	res[POTAD_BL_PLAIN] = potad_bench_alloc_free(&b->plain, 100000);
	potad_bench_teardown(b, &b->plain);
unregister:
	potad_type_unregister(&potad_bench_slab_type);
	potad_type_unregister(&potad_bench_type);
free:
	mutex_unlock(&potad_bench_lock);
	xa_destroy(&b->xa);
	kvfree(b->real);
	kvfree(b->probe);
	kvfree(b->descs);
	kfree(b);
	return ret;
}

static int potad_bench_run(unsigned long nr, unsigned long nr_probe)
{
	u64 res[POTAD_BL_NR];
	struct seq_buf sb;
	char *out;
	int ret, how;

	out = kzalloc(PAGE_SIZE, GFP_KERNEL);
	if (!out)
		return -ENOMEM;
	ret = potad_bench_lookup_run(nr, nr_probe, res);
	if (ret) {
		kfree(out);
		return ret;
	}
	seq_buf_init(&sb, out, PAGE_SIZE);
	seq_buf_printf(&sb, "live_blocks %lu lookups %lu rounds %d\n", nr,
		       nr_probe, POTAD_BENCH_ROUNDS);
	for (how = 0; how <= POTAD_BL_FOLIO; how++)
		seq_buf_printf(&sb, "%-16s %llu.%llu ns\n",
			       potad_bench_names[how], div_u64(res[how], 10),
			       res[how] % 10);
	seq_buf_printf(&sb, "%-16s %llu.%llu ns (memory, indexed)\n",
		       "alloc+free", div_u64(res[POTAD_BL_INDEXED], 10),
		       res[POTAD_BL_INDEXED] % 10);
	seq_buf_printf(&sb, "%-16s %llu.%llu ns (abstract, no index)\n",
		       "alloc+free", div_u64(res[POTAD_BL_PLAIN], 10),
		       res[POTAD_BL_PLAIN] % 10);
	mutex_lock(&potad_bench_lock);
	swap(potad_bench_out, out);
	mutex_unlock(&potad_bench_lock);
	kfree(out);
	return 0;
}

static ssize_t bench_write(struct file *file, const char __user *ubuf,
			   size_t len, loff_t *ppos)
{
	unsigned long nr = 0, nr_probe = 1000000;
	char buf[48];
	int ret;

	if (len >= sizeof(buf) || copy_from_user(buf, ubuf, len))
		return -EINVAL;
	buf[len] = '\0';
	if (sscanf(buf, "%lu %lu", &nr, &nr_probe) < 1)
		return -EINVAL;
	ret = potad_bench_run(nr, nr_probe);
	return ret ? ret : len;
}

static int bench_show(struct seq_file *m, void *v)
{
	mutex_lock(&potad_bench_lock);
	if (potad_bench_out)
		seq_puts(m, potad_bench_out);
	mutex_unlock(&potad_bench_lock);
	return 0;
}

static int bench_open(struct inode *inode, struct file *file)
{
	return single_open(file, bench_show, NULL);
}

static const struct file_operations bench_fops = {
	.owner = THIS_MODULE,
	.open = bench_open,
	.read = seq_read,
	.write = bench_write,
	.llseek = seq_lseek,
	.release = single_release,
};

/* Create "bench" in POTAD's debugfs directory. */
void __init potad_bench_debugfs(struct dentry *dir)
{
	debugfs_create_file("bench", 0600, dir, NULL, &bench_fops);
}
