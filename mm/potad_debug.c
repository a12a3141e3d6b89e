// SPDX-License-Identifier: GPL-2.0
/*
 * POTAD debugfs interface.
 *
 * /sys/kernel/debug/potad/instances	every instance and its counters
 * /sys/kernel/debug/potad/types	every registered descriptor type
 * /sys/kernel/debug/potad/pins		pinned POTAD pages (mm/potad_gup.c)
 * /sys/kernel/debug/potad/test		a private instance driven by
 *					commands, for the kselftest and demo
 * /sys/kernel/debug/potad/bench	the lookup benchmark (see below)
 * /sys/kernel/debug/potad/bench_peers	POTAD against its peers
 *					(CONFIG_POTAD_BENCH)
 * /sys/kernel/debug/potad/zones	the zone instances (mm/potad_zone.c)
 *
 * Commands written to "test" (numbers in decimal or 0x hex):
 *	init SPAN MAX_ORDER	(re)create the instance as an abstract space
 *				of units [0, SPAN)
 *	init_memory SHIFT PHYS SPAN
 *				(re)create it as a memory space of SPAN units
 *				of 2^SHIFT bytes from physical address PHYS;
 *				unit numbers below are then PHYS >> SHIFT and
 *				up.  The memory need not exist (POTAD never
 *				touches it) but must not belong to another
 *				instance.
 *	add START NR		potad_add_range()
 *	withdraw START NR	potad_withdraw_range()
 *	alloc ORDER		potad_alloc()
 *	alloc_at START ORDER	potad_alloc_at()
 *	free START		potad_free() of the block at START
 *	free_range START NR	potad_free_range(, GFP_KERNEL) within the block holding START
 *	retire UNIT		potad_retire()
 *	lookup PHYS		potad_lookup() of a physical address, shown
 *				on the next read as "lookup PHYS none" or
 *				"lookup PHYS type NAME size DESC_BYTES block
 *				BLOCK_PHYS BLOCK_BYTES owner OWNER"
 *	destroy			free every block and tear the instance down
 *	zalloc SHIFT		potad_alloc_mem() of 2^SHIFT bytes, GFP_KERNEL,
 *				from the zone instances (needs no init)
 *	zalloc_dma32 SHIFT	the same with GFP_DMA32
 *	zfree PHYS		potad_free_mem() of the zone block at PHYS
 * A command that fails makes write() fail with its error code.  Reading
 * "test" shows the last block allocated, the last lookup, the instance's
 * counters and its blocks, then the last zone block allocated ("zlast
 * PHYS BYTES") and the number of zone blocks held ("zblocks N").
 *
 * "bench" is in mm/potad_bench.c, "bench_peers" in mm/potad_bench_peers.c.
 *
 * Commands are passed to POTAD as they are: one that is a caller bug (an
 * order beyond the space, an overlapping range, ...) gets the same
 * WARN_ONCE a kernel caller would, so do not use this file on a machine
 * with panic_on_warn.  It exists to test POTAD and is root-only.
 */

#include <linux/bitmap.h>
#include <linux/debugfs.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/potad.h>
#include <linux/rcupdate.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "potad_internal.h"

/* @freed: units given back by free_range, for blocks up to order 16. */
struct potad_dbg_block {
	struct potad_desc desc;
	struct list_head list;
	unsigned long *freed;
};

#define POTAD_DBG_MAX_PARTIAL	16

static struct potad_type potad_dbg_type = {
	.name = "potad_debugfs",
	.size = sizeof(struct potad_dbg_block),
};

static DEFINE_MUTEX(potad_dbg_lock);
static struct potad potad_dbg;
static bool potad_dbg_ready;
static LIST_HEAD(potad_dbg_blocks);
/* Blocks of the zone instances, from zalloc; newest first. */
static LIST_HEAD(potad_dbg_zblocks);
static unsigned long potad_dbg_nr_zblocks;
static unsigned long potad_dbg_last_start;
static int potad_dbg_last_order = -1;

static void potad_show_stats(struct seq_file *m, struct potad_stats *st)
{
	unsigned int k;

	seq_printf(m, "units_total %lu\nunits_free %lu\nunits_allocated %lu\n",
		   st->units_total, st->units_free, st->units_allocated);
	seq_printf(m, "units_retired %lu\nnr_allocs %lu\nnr_frees %lu\n",
		   st->units_retired, st->nr_allocs, st->nr_frees);
	seq_printf(m, "alloc_failures %lu\nindex_holes %lu\nunits_deferred %lu\n",
		   st->alloc_failures, st->index_holes, st->units_deferred);
	seq_printf(m, "index_chunks %lu\nmax_order %u\n", st->index_chunks,
		   st->max_order);
	for (k = 0; k <= st->max_order; k++)
		if (st->nr_free[k])
			seq_printf(m, "nr_free %u %lu\n", k, st->nr_free[k]);
}

static int instances_show(struct seq_file *m, void *v)
{
	struct potad_stats st;
	struct potad *pa;

	mutex_lock(&potad_list_lock);
	list_for_each_entry(pa, &potad_instances, list) {
		potad_get_stats(pa, &st);
		seq_printf(m, "instance %s\nspace %s\nunit_shift %u\n",
			   pa->name,
			   pa->flags & POTAD_MEMORY ? "memory" : "abstract",
			   pa->unit_shift);
		seq_printf(m, "base %#lx\nspan %lu\n", pa->base, pa->span);
		potad_show_stats(m, &st);
	}
	mutex_unlock(&potad_list_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(instances);

static int types_show(struct seq_file *m, void *v)
{
	struct potad_type *type;

	mutex_lock(&potad_list_lock);
	list_for_each_entry(type, &potad_types, list)
		seq_printf(m, "type %s size %zu flags %#x\n", type->name,
			   type->size, type->flags);
	mutex_unlock(&potad_list_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(types);

static const char potad_dbg_owner[] = "debugfs-test-file";
static char potad_dbg_lookup_line[160];

static void potad_dbg_lookup(phys_addr_t phys)
{
	struct potad_desc *d;

	rcu_read_lock();
	d = potad_lookup(phys);
	if (!d)
		snprintf(potad_dbg_lookup_line, sizeof(potad_dbg_lookup_line),
			 "lookup %#llx none\n", (u64)phys);
	else
		snprintf(potad_dbg_lookup_line, sizeof(potad_dbg_lookup_line),
			 "lookup %#llx type %s size %zu block %#llx %llu owner %s\n",
			 (u64)phys, d->type->name, d->type->size,
			 (u64)potad_desc_phys(d), potad_desc_bytes(d),
			 d->owner == potad_dbg_owner ? potad_dbg_owner :
			 "other");
	rcu_read_unlock();
}

static struct potad_dbg_block *potad_dbg_find(unsigned long unit)
{
	struct potad_dbg_block *b;

	list_for_each_entry(b, &potad_dbg_blocks, list)
		if (unit >= b->desc.start &&
		    unit - b->desc.start < potad_desc_units(&b->desc))
			return b;
	return NULL;
}

static void potad_dbg_destroy(void)
{
	struct potad_dbg_block *b, *n;

	if (!potad_dbg_ready)
		return;
	list_for_each_entry_safe(b, n, &potad_dbg_blocks, list) {
		unsigned long units = potad_desc_units(&b->desc);
		unsigned long *freed = b->freed;
		unsigned long s, e;

		list_del(&b->list);
		if (!freed) {
			potad_free(&potad_dbg, &b->desc);
			continue;
		}
		/* Free what partial frees left; the last one frees b. */
		for_each_clear_bitrange(s, e, freed, units)
			potad_free_range(&potad_dbg, &b->desc,
					 b->desc.start + s, e - s, GFP_KERNEL);
		bitmap_free(freed);
	}
	potad_destroy(&potad_dbg);
	potad_dbg_ready = false;
	potad_dbg_last_order = -1;
	potad_dbg_lookup_line[0] = '\0';
}

static struct potad_dbg_block *potad_dbg_alloc(unsigned long start,
					       unsigned long order)
{
	struct potad_desc *desc;

	if (order >= POTAD_NR_ORDERS)
		return ERR_PTR(-EINVAL);
	if (start == POTAD_ANY)
		desc = potad_alloc(&potad_dbg, &potad_dbg_type, order,
				   (void *)potad_dbg_owner, GFP_KERNEL);
	else
		desc = potad_alloc_at(&potad_dbg, &potad_dbg_type, start, order,
				      (void *)potad_dbg_owner, GFP_KERNEL);
	if (IS_ERR(desc))
		return ERR_CAST(desc);
	return container_of(desc, struct potad_dbg_block, desc);
}

/* Free the block at @start (@nr == 0) or @nr units from @start. */
static int potad_dbg_free(unsigned long start, unsigned long nr)
{
	struct potad_dbg_block *blk = potad_dbg_find(start);
	unsigned long *freed;
	bool last;
	int ret;

	if (!blk || (!nr && blk->desc.start != start))
		return -ENOENT;
	if (nr && !blk->freed) {
		if (blk->desc.order > POTAD_DBG_MAX_PARTIAL)
			return -E2BIG;
		blk->freed = bitmap_zalloc(potad_desc_units(&blk->desc),
					   GFP_KERNEL);
		if (!blk->freed)
			return -ENOMEM;
	}
	/* The descriptor is gone once its last unit is freed. */
	last = !nr || nr == blk->desc.nr_live;
	freed = blk->freed;
	if (last)
		list_del(&blk->list);
	if (!nr) {
		ret = potad_free(&potad_dbg, &blk->desc);
	} else {
		ret = potad_free_range(&potad_dbg, &blk->desc, start, nr, GFP_KERNEL);
		if (!ret && !last)
			bitmap_set(freed, start - blk->desc.start, nr);
	}
	if (ret && last)
		list_add_tail(&blk->list, &potad_dbg_blocks);
	if (!ret && last)
		bitmap_free(freed);
	return ret;
}

/* zalloc, zalloc_dma32 and zfree: the zone API, no instance of our own. */
static int potad_dbg_zone_cmd(const char *cmd, unsigned long a)
{
	struct potad_dbg_block *blk;
	struct potad_desc *desc;
	int ret;

	if (!strcmp(cmd, "zfree")) {
		list_for_each_entry(blk, &potad_dbg_zblocks, list) {
			if (potad_desc_phys(&blk->desc) != a)
				continue;
			list_del(&blk->list);
			ret = potad_free_mem(&blk->desc);
			if (ret)
				list_add(&blk->list, &potad_dbg_zblocks);
			else
				potad_dbg_nr_zblocks--;
			return ret;
		}
		return -ENOENT;
	}
	if (a >= BITS_PER_LONG)
		return -EINVAL;
	desc = potad_alloc_mem(&potad_dbg_type, a,
			       strcmp(cmd, "zalloc") ? GFP_DMA32 : GFP_KERNEL,
			       (void *)potad_dbg_owner);
	if (IS_ERR(desc))
		return PTR_ERR(desc);
	blk = container_of(desc, struct potad_dbg_block, desc);
	list_add(&blk->list, &potad_dbg_zblocks);
	potad_dbg_nr_zblocks++;
	return 0;
}

static int potad_dbg_cmd(const char *cmd, int n, unsigned long a,
			 unsigned long b, unsigned long c)
{
	struct potad_dbg_block *blk;
	int ret;

	if ((!strcmp(cmd, "zalloc") || !strcmp(cmd, "zalloc_dma32") ||
	     !strcmp(cmd, "zfree")) && n == 2)
		return potad_dbg_zone_cmd(cmd, a);

	if (!strcmp(cmd, "init") && n == 3) {
		potad_dbg_destroy();
		ret = potad_init(&potad_dbg, "debugfs-test", POTAD_ABSTRACT, 0,
				 0, a, b);
		potad_dbg_ready = !ret;
		return ret;
	}
	if (!strcmp(cmd, "init_memory") && n == 4) {
		potad_dbg_destroy();
		if (a >= BITS_PER_LONG)
			return -EINVAL;
		ret = potad_init(&potad_dbg, "debugfs-test", POTAD_MEMORY, a,
				 b >> a, c, POTAD_NR_ORDERS - 1);
		potad_dbg_ready = !ret;
		return ret;
	}
	if (!strcmp(cmd, "lookup") && n == 2) {
		potad_dbg_lookup(a);
		return 0;
	}
	if (!potad_dbg_ready)
		return -ENODEV;
	if (!strcmp(cmd, "destroy") && n == 1) {
		potad_dbg_destroy();
		return 0;
	}
	if (!strcmp(cmd, "add") && n == 3)
		return potad_add_range(&potad_dbg, a, b);
	if (!strcmp(cmd, "withdraw") && n == 3)
		return potad_withdraw_range(&potad_dbg, a, b);
	if (!strcmp(cmd, "retire") && n == 2)
		return potad_retire(&potad_dbg, a, GFP_KERNEL, NULL);
	if ((!strcmp(cmd, "alloc") && n == 2) ||
	    (!strcmp(cmd, "alloc_at") && n == 3)) {
		blk = n == 2 ? potad_dbg_alloc(POTAD_ANY, a) :
			       potad_dbg_alloc(a, b);
		if (IS_ERR(blk))
			return PTR_ERR(blk);
		list_add_tail(&blk->list, &potad_dbg_blocks);
		potad_dbg_last_start = blk->desc.start;
		potad_dbg_last_order = blk->desc.order;
		return 0;
	}
	if ((!strcmp(cmd, "free") && n == 2) ||
	    (!strcmp(cmd, "free_range") && n == 3)) {
		return potad_dbg_free(a, n == 2 ? 0 : b);
	}
	return -EINVAL;
}

static ssize_t test_write(struct file *file, const char __user *ubuf,
			  size_t len, loff_t *ppos)
{
	unsigned long a = 0, b = 0, c = 0;
	char cmd[16], *buf;
	int n, ret;

	if (len > 128)
		return -EINVAL;
	buf = memdup_user_nul(ubuf, len);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	n = sscanf(buf, "%15s %li %li %li", cmd, (long *)&a, (long *)&b,
		   (long *)&c);
	kfree(buf);
	if (n < 1)
		return -EINVAL;
	mutex_lock(&potad_dbg_lock);
	ret = potad_dbg_cmd(cmd, n, a, b, c);
	mutex_unlock(&potad_dbg_lock);
	return ret ? ret : len;
}

static int test_show(struct seq_file *m, void *v)
{
	struct potad_dbg_block *b;
	struct potad_stats st;

	mutex_lock(&potad_dbg_lock);
	seq_puts(m, potad_dbg_lookup_line);
	if (potad_dbg_ready) {
		potad_get_stats(&potad_dbg, &st);
		if (potad_dbg_last_order >= 0)
			seq_printf(m, "last %lu %d\n", potad_dbg_last_start,
				   potad_dbg_last_order);
		potad_show_stats(m, &st);
		list_for_each_entry(b, &potad_dbg_blocks, list)
			seq_printf(m, "block %lu %u %lu\n", b->desc.start,
				   b->desc.order, b->desc.nr_live);
	}
	b = list_first_entry_or_null(&potad_dbg_zblocks, struct potad_dbg_block,
				     list);
	if (b)
		seq_printf(m, "zlast %#llx %llu\n",
			   (u64)potad_desc_phys(&b->desc),
			   potad_desc_bytes(&b->desc));
	seq_printf(m, "zblocks %lu\n", potad_dbg_nr_zblocks);
	mutex_unlock(&potad_dbg_lock);
	return 0;
}

static int test_open(struct inode *inode, struct file *file)
{
	return single_open(file, test_show, NULL);
}

static const struct file_operations test_fops = {
	.owner = THIS_MODULE,
	.open = test_open,
	.read = seq_read,
	.write = test_write,
	.llseek = seq_lseek,
	.release = single_release,
};

static int __init potad_debugfs_init(void)
{
	struct dentry *dir;
	int ret;

	ret = potad_type_register(&potad_dbg_type);
	if (ret)
		return ret;
	dir = debugfs_create_dir("potad", NULL);
	debugfs_create_file("instances", 0444, dir, NULL, &instances_fops);
	debugfs_create_file("types", 0444, dir, NULL, &types_fops);
	debugfs_create_file("test", 0600, dir, NULL, &test_fops);
	potad_bench_debugfs(dir);
	potad_bench_peers_debugfs(dir);
	potad_bench_cma_debugfs(dir);
	potad_zone_debugfs(dir);
	potad_gup_debugfs(dir);
	potad_swap_debugfs(dir);
	pr_info("potad: debugfs interface ready\n");
	return 0;
}
late_initcall(potad_debugfs_init);
