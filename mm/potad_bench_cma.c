// SPDX-License-Identifier: GPL-2.0
/*
 * The CMA range search, POTAD's ladder against mm/cma.c's bitmap:
 * /sys/kernel/debug/potad/bench_cma.
 *
 * Writing "OPS SEED" runs, in this boot, the same random workload on two
 * models of a 1 GB CMA area of 4 KB pages (order_per_bit 0): the bitmap
 * search of __cma_alloc() (bitmap_find_next_zero_area_off() and
 * bitmap_set() under a spinlock, bitmap_clear() to free), and with
 * CONFIG_POTAD_CMA the ladder of mm/potad_cma.c (potad_cma_ladder() on an
 * abstract instance, potad_free() to free).  Neither migrates anything:
 * the claim always succeeds, so the figures are the search alone, which
 * is what the two allocators do differently; alloc_contig_range() is the
 * same for both.  Reading the file shows the table.
 *
 * The workload: OPS operations; each allocates while the live pages are
 * under half the area, else frees a random live allocation.  A request is
 * 2^k pages (k uniform in 0..10), a quarter of them grown by a random part
 * of that to a count that is not a power of two, aligned as
 * dma_alloc_from_contiguous() aligns (the order of the count, at most
 * 2^8 pages), a quarter of them at no alignment.  Then, with the live
 * set still held: "8 MB at 1 MB" style requests of 2 MB .. 1 GB at 1 MB
 * alignment, each freed again, and the longest free run.
 *
 * "OPS SEED AREA" also runs it on the real CMA area AREA, which must be
 * 1 GB of single-page units (order_per_bit 0): cma_alloc() (timed,
 * migration included) and cma_release() (not timed), whichever
 * allocator the kernel has (POTAD-CMA, or mm/cma.c's bitmap with
 * CONFIG_POTAD_CMA=n), after the two models, in the same boot.  Its
 * times are also given over the bitmap model's, a rough way to set runs
 * on the two kernels side by side (make bench-cma): the area's times are
 * mostly the migration by alloc_contig_range() of the movable memory the
 * caller put in the area, which depends on where each request lands.  Its
 * "longest free run" is the largest request served after the bisection's
 * earlier probes, which moved memory about.
 *
 * A benchmark, not a test: it asserts nothing, and under TCG its times
 * only compare with each other within one run.
 *
 * Locking: one run at a time under potad_bench_cma_lock.  Cost: a bitmap
 * of 32 KB, the POTAD instance's maps and descriptors, and two arrays of
 * the live allocations.
 */

#include <linux/bitmap.h>
#include <linux/cma.h>
#include <linux/debugfs.h>
#include <linux/ktime.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/potad.h>
#include <linux/prandom.h>
#include <linux/sched.h>
#include <linux/seq_buf.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "cma.h"
#include "potad_internal.h"

#define BCMA_PAGES	BIT(18)		/* 1 GB of 4 KB pages */
#define BCMA_CLASSES	12		/* request orders 0..11 */
#define BCMA_LARGE_MIN	9		/* 2 MB */
#define BCMA_LARGE_MAX	18		/* 1 GB */
#define BCMA_OUT	8192

/* The parts of a run, timed apart. */
enum bcma_phase { BCMA_CHURN, BCMA_LARGE, BCMA_BISECT, BCMA_PHASES };

static const char *const bcma_phase_name[BCMA_PHASES] = {
	"churn", "2 MB..1 GB", "longest run",
};

static DEFINE_MUTEX(potad_bench_cma_lock);
static char *potad_bench_cma_out;

/* A live allocation of a model, or of the real area (@page). */
struct bcma_live {
	unsigned long start, count;
	struct potad_desc *desc;
	struct page *page;
};

/* One model's (or the real area's) state and results. */
struct bcma_model {
	const char *name;
	struct cma *cma;		/* the real area */
	unsigned long *bitmap;		/* the bitmap model */
	spinlock_t lock;		/* as cma->lock */
	struct potad *pa;		/* the POTAD model */
	struct bcma_live *live;
	unsigned long nr_live, live_pages;
	unsigned long tries[BCMA_CLASSES], ok[BCMA_CLASSES];
	enum bcma_phase phase;		/* what bcma_alloc() times */
	u64 ns[BCMA_PHASES], calls[BCMA_PHASES];
	bool large_ok[BCMA_LARGE_MAX + 1];
	unsigned long maxchunk;
};

static struct potad_type bcma_type = {
	.name = "potad_bench_cma",
	.size = sizeof(struct potad_desc),
};

/* As __cma_alloc()'s search with order_per_bit 0 and an aligned base. */
static bool bcma_bitmap_alloc(struct bcma_model *m, unsigned long count,
			      unsigned int align, unsigned long *start)
{
	unsigned long mask = align ? (1UL << align) - 1 : 0, no;

	spin_lock_irq(&m->lock);
	no = bitmap_find_next_zero_area_off(m->bitmap, BCMA_PAGES, 0, count,
					    mask, 0);
	if (no < BCMA_PAGES)
		bitmap_set(m->bitmap, no, count);
	spin_unlock_irq(&m->lock);
	*start = no;
	return no < BCMA_PAGES;
}

#ifdef CONFIG_POTAD_CMA
static int bcma_claim(struct potad_desc *desc, void *arg)
{
	return 0;
}
#endif

/* One request on @m; the time of the search (and take) is added. */
static bool bcma_alloc(struct bcma_model *m, unsigned long count,
		       unsigned int align, struct bcma_live *l)
{
	u64 t0 = ktime_get_ns();
	bool ok = false;

	l->desc = NULL;
	if (m->cma) {
		l->page = cma_alloc(m->cma, count, align, true);
		ok = l->page;
		if (ok)
			l->start = page_to_pfn(l->page);
	} else if (m->bitmap) {
		ok = bcma_bitmap_alloc(m, count, align, &l->start);
	} else {
#ifdef CONFIG_POTAD_CMA
		unsigned int rung;
		struct potad_desc *d;

		d = potad_cma_ladder(m->pa, &bcma_type, count, align, NULL,
				     GFP_KERNEL, bcma_claim, NULL, &rung);
		ok = !IS_ERR(d);
		if (ok) {
			l->desc = d;
			l->start = d->start;
		}
#endif
	}
	m->ns[m->phase] += ktime_get_ns() - t0;
	m->calls[m->phase]++;
	l->count = count;
	return ok;
}

static void bcma_free(struct bcma_model *m, struct bcma_live *l)
{
	if (m->cma) {
		cma_release(m->cma, l->page, l->count);
	} else if (m->bitmap) {
		spin_lock_irq(&m->lock);
		bitmap_clear(m->bitmap, l->start, l->count);
		spin_unlock_irq(&m->lock);
	} else {
		potad_free(m->pa, l->desc);
	}
}

static void bcma_run(struct bcma_model *m, unsigned long ops, u64 seed)
{
	struct rnd_state rnd;
	struct bcma_live l;
	unsigned long i, lo, hi, mid;
	unsigned int k;

	prandom_seed_state(&rnd, seed);
	for (i = 0; i < ops; i++) {
		unsigned long count, r = prandom_u32_state(&rnd);
		unsigned int align;

		if (m->live_pages >= BCMA_PAGES / 2 && m->nr_live) {
			unsigned long j = r % m->nr_live;

			bcma_free(m, &m->live[j]);
			m->live_pages -= m->live[j].count;
			m->live[j] = m->live[--m->nr_live];
			continue;
		}
		k = r % 11;
		count = 1UL << k;
		if ((r >> 8) % 4 == 0 && k)
			count += (r >> 12) % count;
		align = (r >> 24) % 4 == 0 ? 0 :
			min_t(unsigned int, order_base_2(count), 8);
		k = order_base_2(count);
		m->tries[k]++;
		if (bcma_alloc(m, count, align, &m->live[m->nr_live])) {
			m->ok[k]++;
			m->live_pages += count;
			m->nr_live++;
		}
		cond_resched();
	}
	/* The large ladder and the longest free run, the live set held. */
	m->phase = BCMA_LARGE;
	for (k = BCMA_LARGE_MIN; k <= BCMA_LARGE_MAX; k++) {
		m->large_ok[k] = bcma_alloc(m, 1UL << k, 8, &l);
		if (m->large_ok[k])
			bcma_free(m, &l);
	}
	m->phase = BCMA_BISECT;
	lo = 0;
	hi = BCMA_PAGES;
	while (lo < hi) {
		mid = lo + (hi - lo + 1) / 2;
		if (bcma_alloc(m, mid, 0, &l)) {
			bcma_free(m, &l);
			lo = mid;
		} else {
			hi = mid - 1;
		}
	}
	m->maxchunk = lo;
	while (m->nr_live)
		bcma_free(m, &m->live[--m->nr_live]);
}

static int bcma_model_init(struct bcma_model *m, bool bitmap,
			   struct cma *cma, unsigned long ops)
{
	memset(m, 0, sizeof(*m));
	spin_lock_init(&m->lock);
	m->live = vcalloc(ops + 1, sizeof(*m->live));
	if (!m->live)
		return -ENOMEM;
	if (cma) {
		m->name = "area";
		m->cma = cma;
		return 0;
	}
	if (bitmap) {
		m->name = "bitmap";
		m->bitmap = bitmap_zalloc(BCMA_PAGES, GFP_KERNEL);
		return m->bitmap ? 0 : -ENOMEM;
	}
	m->name = "potad";
	m->pa = kzalloc(sizeof(*m->pa), GFP_KERNEL);
	if (!m->pa)
		return -ENOMEM;
	if (potad_init(m->pa, "bench_cma", POTAD_ABSTRACT, 0, 0, BCMA_PAGES,
		       ilog2(BCMA_PAGES))) {
		kfree(m->pa);
		m->pa = NULL;
		return -ENOMEM;
	}
	if (potad_add_range(m->pa, 0, BCMA_PAGES))
		return -ENOMEM;
	return 0;
}

static void bcma_model_exit(struct bcma_model *m)
{
	bitmap_free(m->bitmap);
	if (m->pa) {
		potad_destroy(m->pa);
		kfree(m->pa);
	}
	vfree(m->live);
}

/* 100 times @a's time per request over @b's in phase @ph, or 0. */
static u64 bcma_ratio(struct bcma_model *a, struct bcma_model *b,
		      unsigned int ph)
{
	return b->ns[ph] && a->calls[ph] ?
		div64_u64(a->ns[ph] * b->calls[ph] * 100,
			  b->ns[ph] * a->calls[ph]) : 0;
}

static void bcma_print(struct seq_buf *s, struct bcma_model *m, int n,
		       unsigned long ops, u64 seed)
{
	bool area = m[n - 1].cma, ladder = n - area == 2;
	unsigned int k, ph;

	seq_buf_printf(s, "CMA range search, 1 GB area of 4 KB pages, %lu ops, seed %llu, ",
		       ops, seed);
	seq_buf_puts(s, "50% target\n");
	if (area)
		seq_buf_printf(s, "area: %s, cma_alloc() with migration, %s\n",
			       cma_get_name(m[n - 1].cma),
			       IS_ENABLED(CONFIG_POTAD_CMA) ? "POTAD-CMA" :
			       "mm/cma.c bitmap (CONFIG_POTAD_CMA=n)");
	seq_buf_puts(s, "request pages   ");
	for (k = 0; k < n; k++)
		seq_buf_printf(s, "  %-8s ok/tries", m[k].name);
	seq_buf_puts(s, "\n");
	for (k = 0; k < BCMA_CLASSES; k++) {
		int i;

		if (!m[0].tries[k])
			continue;
		seq_buf_printf(s, "%6lu..%-7lu ", k ? (1UL << (k - 1)) + 1 : 1,
			       1UL << k);
		for (i = 0; i < n; i++)
			seq_buf_printf(s, "  %8lu/%-8lu", m[i].ok[k],
				       m[i].tries[k]);
		seq_buf_puts(s, "\n");
	}
	for (k = BCMA_LARGE_MIN; k <= BCMA_LARGE_MAX; k++) {
		int i;

		seq_buf_printf(s, "%4lu MB at 1 MB ", (1UL << k) >> 8);
		for (i = 0; i < n; i++)
			seq_buf_printf(s, "  %17s", m[i].large_ok[k] ? "ok" :
				       "fail");
		seq_buf_puts(s, "\n");
	}
	seq_buf_puts(s, "longest free run");
	for (k = 0; k < n; k++)
		seq_buf_printf(s, "  %10lu pages", m[k].maxchunk);
	seq_buf_puts(s, "\n");
	for (ph = 0; ph < BCMA_PHASES; ph++) {
		seq_buf_printf(s, "ns/req %-9s", bcma_phase_name[ph]);
		for (k = 0; k < n; k++)
			seq_buf_printf(s, "  %17llu", m[k].calls[ph] ?
				       div64_u64(m[k].ns[ph], m[k].calls[ph]) :
				       0);
		seq_buf_puts(s, "\n");
	}
	/* Per request: the bisections may take different steps. */
	for (ph = 0; ladder && ph < BCMA_PHASES; ph++) {
		u64 r = bcma_ratio(&m[0], &m[1], ph);

		seq_buf_printf(s, "search time bitmap/potad, %s: %llu.%02llu\n",
			       bcma_phase_name[ph], r / 100, r % 100);
	}
	for (ph = 0; area && ph < BCMA_PHASES; ph++) {
		u64 r = bcma_ratio(&m[n - 1], &m[0], ph);

		seq_buf_printf(s, "time area/bitmap model, %s: %llu.%02llu\n",
			       bcma_phase_name[ph], r / 100, r % 100);
	}
}

static int bcma_run_all(unsigned long ops, u64 seed, struct cma *cma)
{
	int models = IS_ENABLED(CONFIG_POTAD_CMA) ? 2 : 1, n, i, ret = 0;
	struct bcma_model *m;
	struct seq_buf s;
	char *out;

	n = models + !!cma;
	m = kcalloc(3, sizeof(*m), GFP_KERNEL);
	out = kzalloc(BCMA_OUT, GFP_KERNEL);
	if (!m || !out) {
		ret = -ENOMEM;
		goto out;
	}
	if (!bcma_type.registered) {
		ret = potad_type_register(&bcma_type);
		if (ret)
			goto out;
	}
	for (i = 0; i < n && !ret; i++) {
		ret = bcma_model_init(&m[i], i == 0, i == models ? cma : NULL,
				      ops);
		if (!ret)
			bcma_run(&m[i], ops, seed);
		bcma_model_exit(&m[i]);
	}
	if (ret)
		goto out;
	seq_buf_init(&s, out, BCMA_OUT);
	bcma_print(&s, m, n, ops, seed);
	kfree(potad_bench_cma_out);
	potad_bench_cma_out = out;
	out = NULL;
out:
	kfree(out);
	kfree(m);
	return ret;
}

struct bcma_find {
	const char *name;
	struct cma *cma;
};

static int bcma_find_area(struct cma *cma, void *data)
{
	struct bcma_find *f = data;

	if (!strcmp(cma_get_name(cma), f->name))
		f->cma = cma;
	return 0;
}

static ssize_t bench_cma_write(struct file *file, const char __user *ubuf,
			       size_t len, loff_t *ppos)
{
	struct bcma_find f = { };
	char buf[96], name[64];
	unsigned long ops;
	u64 seed;
	int ret;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	ret = sscanf(buf, "%lu %llu %63s", &ops, &seed, name);
	if (ret < 2 || !ops || ops > 10000000)
		return -EINVAL;
	if (ret == 3) {
		f.name = name;
		cma_for_each_area(bcma_find_area, &f);
		if (!f.cma || cma_get_size(f.cma) != BCMA_PAGES << PAGE_SHIFT ||
		    f.cma->order_per_bit)
			return -EINVAL;
	}
	mutex_lock(&potad_bench_cma_lock);
	ret = bcma_run_all(ops, seed, f.cma);
	mutex_unlock(&potad_bench_cma_lock);
	return ret ? ret : len;
}

static int bench_cma_show(struct seq_file *m, void *v)
{
	mutex_lock(&potad_bench_cma_lock);
	if (potad_bench_cma_out)
		seq_puts(m, potad_bench_cma_out);
	mutex_unlock(&potad_bench_cma_lock);
	return 0;
}

static int bench_cma_open(struct inode *inode, struct file *file)
{
	return single_open(file, bench_cma_show, NULL);
}

static const struct file_operations bench_cma_fops = {
	.owner = THIS_MODULE,
	.open = bench_cma_open,
	.read = seq_read,
	.write = bench_cma_write,
	.llseek = seq_lseek,
	.release = single_release,
};

/* Create "bench_cma" in POTAD's debugfs directory. */
void potad_bench_cma_debugfs(struct dentry *dir)
{
	debugfs_create_file("bench_cma", 0600, dir, NULL, &bench_cma_fops);
}
