// SPDX-License-Identifier: GPL-2.0
/*
 * potad_buf: a buffer cache whose buffers are POTAD blocks, in the style of
 * xfs_buf, the seed mail's example of a POTAD user ("xfs_buf: 360 bytes
 * for 512 B..64 KB").
 *
 * This sample owns a cache of buffers of 512 B to 64 KB, keyed by block
 * number (in 512 B sectors).  Each buffer's memory is a block from the
 * zone instances (potad_alloc_mem()), and its descriptor is a 360-byte
 * struct potad_buf that embeds the block's struct potad_desc: POTAD
 * allocates it from the type's slab cache with the block, and
 * potad_lookup() on any byte of the buffer finds it.  Its memory_failure
 * op is what a filesystem's would be: the buffer is marked bad
 * (POTAD_BUF_BAD), the byte offset of the poisoned unit recorded, the
 * buffer dropped from the cache so that no lookup returns it again, and
 * its block freed; memory-failure's reference keeps the block until the
 * op has returned, and the poisoned unit never goes back.  A poisoned
 * page is unmapped from every user mapping of the buffer: touching it
 * again gets SIGBUS (BUS_MCEERR_AR) instead of the poisoned memory.  Its
 * soft_offline op moves a buffer nobody maps or pins to a new block (a
 * copy) and frees the old one; a mapped or pinned buffer is refused,
 * since the data is shared with whoever maps it.
 *
 * /sys/kernel/debug/potad_buf/ (root only):
 *	ctl		write "fill N SIZE": cache N more buffers of SIZE
 *			bytes (a power of two, 512..65536); "drop": free
 *			every cached buffer; "forget": clear the reports
 *	buffers		one line per cached buffer: "BLKNO SIZE PHYS"
 *	poisoned	one line per buffer the op was called for:
 *			"BLKNO SIZE PHYS OFFSET UNIT FLAGS"
 *	stats		cached buffers and bytes, buffers poisoned and
 *			moved (soft offline)
 *	map		mmap() at offset BLKNO << PAGE_SHIFT, of the buffer's
 *			size, maps a cached buffer of 4 KB or more (shared,
 *			read-write); the mapping keeps the block until it
 *			goes, even if the buffer is dropped meanwhile
 *	pins		one line per cached buffer: "BLKNO PINS", the pins
 *			POTAD recorded on its pages (get_user_pages())
 *
 * The kselftest tools/testing/selftests/potad/potad_memory_failure and
 * the demo (make run) poison its buffers through hwpoison-inject.
 *
 * Locking: potad_buf_lock (a mutex) serialises the cache, the reports,
 * mmap() and the op; the op runs in process context from memory_failure(), which
 * holds no lock the cache takes.  Cost: one POTAD allocation or free and
 * one xarray store per buffer.
 */

#include <linux/debugfs.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/page-flags.h>
#include <linux/mutex.h>
#include <linux/potad.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

/* The size of an xfs_buf on x86-64, which the seed mail quotes. */
#define POTAD_BUF_DESC_SIZE	360
#define POTAD_BUF_MIN_SHIFT	9
#define POTAD_BUF_MAX_SHIFT	16
#define POTAD_BUF_MAX_FILL	65536

/* b_flags */
#define POTAD_BUF_BAD		0x1	/* a unit of it was poisoned */

/**
 * struct potad_buf - A cached buffer and its POTAD descriptor.
 * @b_desc: The POTAD descriptor of the buffer's block.
 * @b_blkno: First 512 B sector the buffer caches.
 * @b_addr: Its memory (direct map).
 * @b_length: Its size in bytes: the block's.
 * @b_flags: %POTAD_BUF_BAD.
 * @b_bad_offset: Byte offset of the first poisoned unit, with
 *	%POTAD_BUF_BAD.
 * @b_error: -EIO once poisoned, as a failed read would set it.
 * @b_maps: User mappings of the buffer's block.
 * @b_private: What an xfs_buf keeps besides (its maps, I/O state, log
 *	item and LRU), which a buffer cache sized like xfs's carries.
 */
struct potad_buf {
	struct potad_desc b_desc;
	u64 b_blkno;
	void *b_addr;
	u32 b_length;
	u32 b_flags;
	u32 b_bad_offset;
	int b_error;
	atomic_t b_maps;
	u8 b_private[POTAD_BUF_DESC_SIZE - sizeof(struct potad_desc) -
		     2 * sizeof(u64) - 5 * sizeof(u32)];
};

static_assert(sizeof(struct potad_buf) == POTAD_BUF_DESC_SIZE);

/* What the op was told, kept after the buffer is gone. */
struct potad_buf_report {
	struct list_head list;
	u64 blkno;
	u32 length;
	u32 offset;
	phys_addr_t phys;
	unsigned long unit;
	int flags;
};

static DEFINE_MUTEX(potad_buf_lock);
static DEFINE_XARRAY(potad_buf_cache);	/* blkno -> struct potad_buf */
static LIST_HEAD(potad_buf_reports);
static u64 potad_buf_next_blkno;
static unsigned long potad_buf_nr, potad_buf_bytes, potad_buf_nr_poisoned;
static unsigned long potad_buf_nr_moved;
/* The map file's: its mappings are of the buffer at pgoff b_blkno. */
static struct address_space *potad_buf_mapping;

static int potad_buf_memory_failure(struct potad_desc *desc,
				    unsigned long unit, int flags);
static int potad_buf_soft_offline(struct potad_desc *desc,
				  unsigned long unit);

static const struct potad_type_ops potad_buf_ops = {
	.memory_failure = potad_buf_memory_failure,
	.soft_offline = potad_buf_soft_offline,
};

static struct potad_type potad_buf_type = {
	.name = "potad_buf",
	.size = sizeof(struct potad_buf),
	.offset = offsetof(struct potad_buf, b_desc),
	.ops = &potad_buf_ops,
};

static struct potad_buf *to_buf(struct potad_desc *desc)
{
	return container_of(desc, struct potad_buf, b_desc);
}

/* Take @bp out of the cache and free its block; under potad_buf_lock. */
static void potad_buf_release(struct potad_buf *bp)
{
	xa_erase(&potad_buf_cache, bp->b_blkno);
	potad_buf_nr--;
	potad_buf_bytes -= bp->b_length;
	potad_free_mem(&bp->b_desc);
}

/*
 * The type's memory_failure op: @unit of @desc's block is poisoned.  Mark
 * the buffer bad, record the offset, unmap the page from user space and
 * drop the buffer.  A buffer already dropped (its block freed, and kept
 * by a mapping) is only reported and unmapped.
 */
static int potad_buf_memory_failure(struct potad_desc *desc,
				    unsigned long unit, int flags)
{
	struct potad_buf *bp = to_buf(desc);
	struct potad_buf_report *r;
	phys_addr_t phys = potad_desc_phys(desc);
	u32 offset;

	offset = (unit - desc->start) << desc->potad->unit_shift;
	/* The report is for debugfs: without it the buffer goes all the same. */
	r = kmalloc(sizeof(*r), GFP_KERNEL);
	mutex_lock(&potad_buf_lock);
	if (!(bp->b_flags & POTAD_BUF_BAD)) {
		bp->b_flags |= POTAD_BUF_BAD;
		bp->b_bad_offset = offset;
		bp->b_error = -EIO;
	}
	if (r) {
		r->blkno = bp->b_blkno;
		r->length = bp->b_length;
		r->offset = offset;
		r->phys = phys;
		r->unit = unit;
		r->flags = flags;
		list_add_tail(&r->list, &potad_buf_reports);
	}
	potad_buf_nr_poisoned++;
	pr_info("potad_buf: buffer %llu poisoned: %s descriptor of %zu bytes, block of %u bytes at %pa, offset %u\n",
		bp->b_blkno, desc->type->name, desc->type->size, bp->b_length,
		&phys, offset);
	/* The task that touched it (MF_ACTION_REQUIRED) faults instead. */
	if (bp->b_length >= PAGE_SIZE && potad_buf_mapping)
		unmap_mapping_range(potad_buf_mapping,
				    (bp->b_blkno + (offset >> PAGE_SHIFT)) <<
				    PAGE_SHIFT, PAGE_SIZE, 1);
	if (xa_load(&potad_buf_cache, bp->b_blkno) == bp)
		potad_buf_release(bp);
	mutex_unlock(&potad_buf_lock);
	return 0;
}

/*
 * The type's soft_offline op: move the buffer to a new block and free the
 * old one, which the caller's reference keeps until it has retired @unit.
 * A buffer mapped or pinned is refused: its data is shared.
 */
static int potad_buf_soft_offline(struct potad_desc *desc,
				  unsigned long unit)
{
	struct potad_buf *bp = to_buf(desc), *nbp;
	struct potad_desc *nd;
	int ret = -EBUSY;

	mutex_lock(&potad_buf_lock);
	if (xa_load(&potad_buf_cache, bp->b_blkno) != bp ||
	    atomic_read(&bp->b_maps) || potad_gup_pinned(desc))
		goto unlock;
	nd = potad_alloc_mem(&potad_buf_type, ilog2(bp->b_length),
			     GFP_KERNEL | __GFP_NOWARN, &potad_buf_cache);
	if (IS_ERR(nd)) {
		ret = PTR_ERR(nd);
		goto unlock;
	}
	nbp = to_buf(nd);
	nbp->b_blkno = bp->b_blkno;
	nbp->b_addr = potad_desc_virt(nd);
	nbp->b_length = bp->b_length;
	memcpy(nbp->b_addr, bp->b_addr, bp->b_length);
	/* Replaces an entry: no allocation, no failure. */
	xa_store(&potad_buf_cache, bp->b_blkno, nbp, GFP_KERNEL);
	pr_info("potad_buf: buffer %llu moved from %pa to %pa (soft offline of unit %#lx)\n",
		bp->b_blkno, &(phys_addr_t){ potad_desc_phys(desc) },
		&(phys_addr_t){ potad_desc_phys(nd) }, unit);
	potad_free_mem(desc);
	potad_buf_nr_moved++;
	ret = 0;
unlock:
	mutex_unlock(&potad_buf_lock);
	return ret;
}

static int potad_buf_fill(unsigned long n, unsigned long size)
{
	struct potad_desc *desc;
	struct potad_buf *bp;
	int ret = 0;

	if (!is_power_of_2(size) || size < BIT(POTAD_BUF_MIN_SHIFT) ||
	    size > BIT(POTAD_BUF_MAX_SHIFT) || n > POTAD_BUF_MAX_FILL)
		return -EINVAL;
	mutex_lock(&potad_buf_lock);
	while (n--) {
		desc = potad_alloc_mem(&potad_buf_type, ilog2(size),
				       GFP_KERNEL | __GFP_NOWARN,
				       &potad_buf_cache);
		if (IS_ERR(desc)) {
			ret = PTR_ERR(desc);
			break;
		}
		bp = to_buf(desc);
		bp->b_blkno = potad_buf_next_blkno;
		bp->b_addr = potad_desc_virt(desc);
		bp->b_length = size;
		ret = xa_err(xa_store(&potad_buf_cache, bp->b_blkno, bp,
				      GFP_KERNEL));
		if (ret) {
			potad_free_mem(desc);
			break;
		}
		potad_buf_next_blkno += size >> POTAD_BUF_MIN_SHIFT;
		potad_buf_nr++;
		potad_buf_bytes += size;
	}
	mutex_unlock(&potad_buf_lock);
	return ret;
}

static void potad_buf_drop(void)
{
	struct potad_buf *bp;
	unsigned long index;

	mutex_lock(&potad_buf_lock);
	xa_for_each(&potad_buf_cache, index, bp)
		potad_buf_release(bp);
	mutex_unlock(&potad_buf_lock);
}

static void potad_buf_forget(void)
{
	struct potad_buf_report *r, *n;

	mutex_lock(&potad_buf_lock);
	list_for_each_entry_safe(r, n, &potad_buf_reports, list) {
		list_del(&r->list);
		kfree(r);
	}
	mutex_unlock(&potad_buf_lock);
}

static ssize_t potad_buf_ctl_write(struct file *file, const char __user *ubuf,
				   size_t len, loff_t *ppos)
{
	unsigned long n, size;
	char buf[64], cmd[16];
	int ret;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	ret = 0;
	if (sscanf(buf, "%15s %lu %lu", cmd, &n, &size) == 3 &&
	    !strcmp(cmd, "fill"))
		ret = potad_buf_fill(n, size);
	else if (!strcmp(strim(buf), "drop"))
		potad_buf_drop();
	else if (!strcmp(strim(buf), "forget"))
		potad_buf_forget();
	else
		ret = -EINVAL;
	return ret ? ret : len;
}

static const struct file_operations potad_buf_ctl_fops = {
	.owner = THIS_MODULE,
	.write = potad_buf_ctl_write,
	.llseek = noop_llseek,
};

static int potad_buf_buffers_show(struct seq_file *m, void *v)
{
	struct potad_buf *bp;
	unsigned long index;

	mutex_lock(&potad_buf_lock);
	xa_for_each(&potad_buf_cache, index, bp) {
		phys_addr_t phys = potad_desc_phys(&bp->b_desc);

		seq_printf(m, "%llu %u %pa\n", bp->b_blkno, bp->b_length,
			   &phys);
	}
	mutex_unlock(&potad_buf_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(potad_buf_buffers);

static int potad_buf_poisoned_show(struct seq_file *m, void *v)
{
	struct potad_buf_report *r;

	mutex_lock(&potad_buf_lock);
	list_for_each_entry(r, &potad_buf_reports, list)
		seq_printf(m, "%llu %u %pa %u %#lx %#x\n", r->blkno, r->length,
			   &r->phys, r->offset, r->unit, r->flags);
	mutex_unlock(&potad_buf_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(potad_buf_poisoned);

static int potad_buf_pins_show(struct seq_file *m, void *v)
{
	struct potad_buf *bp;
	unsigned long index;

	mutex_lock(&potad_buf_lock);
	xa_for_each(&potad_buf_cache, index, bp)
		if (bp->b_length >= PAGE_SIZE)
			seq_printf(m, "%llu %lu\n", bp->b_blkno,
				   potad_gup_pinned(&bp->b_desc));
	mutex_unlock(&potad_buf_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(potad_buf_pins);

/*
 * The mapping's reference on the block goes with the mapping, once the
 * page state the mapping left (dirty and referenced bits from the page
 * tables) is put back as POTAD hands pages out: zap is done by now.
 */
static void potad_buf_vm_close(struct vm_area_struct *vma)
{
	struct potad_desc *desc = vma->vm_private_data;
	unsigned long i;

	for (i = 0; i < potad_desc_bytes(desc) >> PAGE_SHIFT; i++) {
		struct folio *folio = pfn_folio(PHYS_PFN(potad_desc_phys(desc)) +
						i);

		folio_clear_dirty(folio);
		folio_clear_referenced(folio);
	}
	atomic_dec(&to_buf(desc)->b_maps);
	potad_desc_put(desc);
}

/*
 * mremap() and fork() (after MADV_DOFORK) copy a mapping: the copy holds
 * a reference of its own, which its close drops.
 */
static void potad_buf_vm_open(struct vm_area_struct *vma)
{
	atomic_inc(&to_buf(vma->vm_private_data)->b_maps);
	potad_desc_get(vma->vm_private_data);
}

/*
 * Every page is mapped at mmap() time: a fault is for a page unmapped
 * since, by the memory_failure op (poisoned) or by MADV_DONTNEED.
 */
static vm_fault_t potad_buf_vm_fault(struct vm_fault *vmf)
{
	struct potad_desc *desc = vmf->vma->vm_private_data;
	unsigned long pfn = PHYS_PFN(potad_desc_phys(desc)) + vmf->pgoff -
			    vmf->vma->vm_pgoff;

	return PageHWPoison(pfn_to_page(pfn)) ? VM_FAULT_HWPOISON :
						VM_FAULT_SIGBUS;
}

/* A mapping is of one whole buffer: it is not split. */
static int potad_buf_vm_may_split(struct vm_area_struct *vma,
				  unsigned long addr)
{
	return -EINVAL;
}

static const struct vm_operations_struct potad_buf_vm_ops = {
	.open = potad_buf_vm_open,
	.close = potad_buf_vm_close,
	.fault = potad_buf_vm_fault,
	.may_split = potad_buf_vm_may_split,
};

static int potad_buf_mmap(struct file *file, struct vm_area_struct *vma)
{
	unsigned long size = vma->vm_end - vma->vm_start, i;
	struct potad_buf *bp;
	int ret = -EINVAL;

	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	mutex_lock(&potad_buf_lock);
	bp = xa_load(&potad_buf_cache, vma->vm_pgoff);
	if (!bp || bp->b_length < PAGE_SIZE || size != bp->b_length)
		goto unlock;
	ret = -EBUSY;
	if (!potad_desc_tryget(&bp->b_desc))
		goto unlock;
	vm_flags_set(vma, VM_DONTEXPAND | VM_DONTCOPY | VM_DONTDUMP);
	for (i = 0; i < size >> PAGE_SHIFT; i++) {
		ret = vm_insert_page(vma, vma->vm_start + (i << PAGE_SHIFT),
				     virt_to_page(bp->b_addr + (i << PAGE_SHIFT)));
		if (ret) {
			/* mmap_region() unmaps what was inserted. */
			potad_desc_put(&bp->b_desc);
			goto unlock;
		}
	}
	vma->vm_private_data = &bp->b_desc;
	vma->vm_ops = &potad_buf_vm_ops;
	atomic_inc(&bp->b_maps);
unlock:
	mutex_unlock(&potad_buf_lock);
	return ret;
}

static const struct file_operations potad_buf_map_fops = {
	.owner = THIS_MODULE,
	.mmap = potad_buf_mmap,
};

static int potad_buf_stats_show(struct seq_file *m, void *v)
{
	mutex_lock(&potad_buf_lock);
	seq_printf(m, "buffers %lu\nbytes %lu\npoisoned %lu\nmoved %lu\ndescriptor %zu\n",
		   potad_buf_nr, potad_buf_bytes, potad_buf_nr_poisoned,
		   potad_buf_nr_moved, sizeof(struct potad_buf));
	mutex_unlock(&potad_buf_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(potad_buf_stats);

static int __init potad_buf_init(void)
{
	struct dentry *dir, *map;
	int ret;

	ret = potad_type_register(&potad_buf_type);
	if (ret)
		return ret;
	dir = debugfs_create_dir("potad_buf", NULL);
	debugfs_create_file("ctl", 0200, dir, NULL, &potad_buf_ctl_fops);
	debugfs_create_file("buffers", 0400, dir, NULL,
			    &potad_buf_buffers_fops);
	debugfs_create_file("poisoned", 0400, dir, NULL,
			    &potad_buf_poisoned_fops);
	debugfs_create_file("stats", 0400, dir, NULL, &potad_buf_stats_fops);
	/*
	 * debugfs's full proxy has no mmap(); the file is never removed, so
	 * the unproxied fops are safe.
	 */
	map = debugfs_create_file_unsafe("map", 0600, dir, NULL,
					 &potad_buf_map_fops);
	if (!IS_ERR(map))
		potad_buf_mapping = d_inode(map)->i_mapping;
	debugfs_create_file("pins", 0400, dir, NULL, &potad_buf_pins_fops);
	return 0;
}
late_initcall(potad_buf_init);
