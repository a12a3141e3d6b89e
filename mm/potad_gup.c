// SPDX-License-Identifier: GPL-2.0
/*
 * POTAD and get_user_pages(): pins of POTAD pages mapped into user space.
 *
 * This file owns the record of which POTAD pages are pinned (FOLL_PIN) and
 * by how much: a pin of a page of an allocated block takes a reference on
 * the block's descriptor (potad_lookup_get()), which keeps the block's
 * units from going back to the free space even if the owner frees the
 * block meanwhile; the last unpin of the page drops it, and a block freed
 * while pinned goes back then.  Pages stay POTAD's throughout: a zone
 * instance's page is a reserved page with a base reference of one, so
 * the pin's GUP_PIN_COUNTING_BIAS on top of it never lets the page reach
 * the buddy allocator.
 *
 * How the pin is tied to the struct pages: by the three GUP entry points
 * that add and drop pins (try_grab_folio() for the slow path,
 * try_grab_folio_fast() for the fast path, gup_put_folio() for unpins,
 * which drops the descriptor reference only after the page's pins),
 * each calling here for a PageReserved folio only, so other pages pay one
 * flag test.  Neither a page type nor a folio flag is free on POTAD pages
 * (they are reserved pages, and the page types are taken), and there is
 * no hook on the final put, because the count never reaches zero.  The
 * fast path runs with interrupts disabled, where a zone instance's lock
 * may not be taken on PREEMPT_RT: it refuses POTAD pages, and GUP falls
 * back to the slow path, which records the pin.  FOLL_GET references are
 * refused: only pins are recorded, and an unrecorded reference could
 * outlive the block.
 *
 * A descriptor type marked %POTAD_TYPE_MOVABLE promises that its owner can
 * move the data: like a MIGRATE_CMA page, its pages may not be pinned
 * with FOLL_LONGTERM, and POTAD cannot migrate them itself, so the pin is
 * refused (-EFAULT).
 *
 * /sys/kernel/debug/potad/pins (CONFIG_POTAD_DEBUGFS) lists the pinned
 * pages: pfn, pin count, block address, size and type.
 *
 * Locking: the record is an xarray under its own lock, taken with
 * interrupts disabled (unpins may come from interrupt context).  A pin
 * takes the instance lock (in potad_lookup_get()) outside it, from GUP's
 * slow path, which may hold a page-table lock.  Cost: on a pin or unpin
 * of a POTAD page, one xarray lookup (and for a page's first pin one
 * lookup of its descriptor and a small allocation); nothing for other
 * pages beyond the PageReserved test in GUP.
 */

#include <linux/debugfs.h>
#include <linux/mm.h>
#include <linux/potad.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "internal.h"
#include "potad_internal.h"

/* A pinned page: the descriptor its pins hold, and how many there are. */
struct potad_pin {
	struct potad_desc *desc;
	unsigned long count;
};

static DEFINE_XARRAY_FLAGS(potad_pins, XA_FLAGS_LOCK_IRQ);

/* May @folio be a zone instance's page?  Lockless; the slow path checks. */
static bool potad_gup_maybe(struct folio *folio)
{
	return folio_test_reserved(folio) && !folio_test_large(folio) &&
	       potad_zone_of(PFN_PHYS(folio_pfn(folio)));
}

/*
 * For a grab POTAD will not record: -EFAULT if a zone instance holds @pfn
 * (nothing would keep its block), -ENOENT if it is not POTAD's at all.
 */
static int potad_gup_refuse(unsigned long pfn)
{
	return potad_zone_holding(pfn) ? -EFAULT : -ENOENT;
}

/**
 * potad_gup_pin() - Record @refs pins of a POTAD page.
 * @folio: A PageReserved folio GUP is grabbing.
 * @refs: The number of pins or references.
 * @flags: The FOLL_* flags.
 *
 * For try_grab_folio() and folio_add_pin(), before they add the pins
 * (FOLL_PIN) or references (FOLL_GET) to the folio.  Only pins are
 * recorded: a FOLL_GET reference on a POTAD page is refused, since a
 * plain page reference taken by GUP (vmsplice(), a core dump, a futex
 * key) could outlive the block and reach the buddy allocator with it.
 *
 * Context: GUP's slow path: process context, possibly under a page-table
 * lock; does not sleep.
 * Return: 0 once recorded; -ENOENT if a zone instance does not hold
 * @folio (GUP goes on as for any page); -EFAULT for FOLL_GET, for a page
 * of no live block (its owner freed it while it stayed mapped), of
 * blocks smaller than a page, or for FOLL_LONGTERM on a
 * %POTAD_TYPE_MOVABLE block; -ENOMEM.
 */
int potad_gup_pin(struct folio *folio, int refs, unsigned int flags)
{
	unsigned long pfn = folio_pfn(folio), irqflags;
	struct potad_pin *pin, *old;
	struct potad_desc *desc;

	if (!potad_gup_maybe(folio))
		return -ENOENT;
	/* A reference outside the record could outlive the block. */
	if (!(flags & FOLL_PIN))
		return potad_gup_refuse(pfn);
	xa_lock_irqsave(&potad_pins, irqflags);
	pin = xa_load(&potad_pins, pfn);
	if (pin && (!(flags & FOLL_LONGTERM) ||
		    !(pin->desc->type->flags & POTAD_TYPE_MOVABLE))) {
		pin->count += refs;
		xa_unlock_irqrestore(&potad_pins, irqflags);
		return 0;
	}
	xa_unlock_irqrestore(&potad_pins, irqflags);
	if (pin)
		return -EFAULT;

	desc = potad_lookup_get(PFN_PHYS(pfn));
	/*
	 * A page of the instance but of no live block: freed by its owner
	 * while still mapped.  Its units wait for the mapping to go; a pin
	 * nothing records could outlive that.
	 */
	if (!desc)
		return potad_gup_refuse(pfn);
	/*
	 * FOLL_LONGTERM on a movable type; or a page of sub-page blocks,
	 * whose pin would hold one of its blocks and not the others.
	 */
	if (((flags & FOLL_LONGTERM) &&
	     (desc->type->flags & POTAD_TYPE_MOVABLE)) ||
	    desc->type == &potad_subpage_type ||
	    desc->potad->unit_shift < PAGE_SHIFT) {
		potad_desc_put(desc);
		return -EFAULT;
	}
	pin = kmalloc(sizeof(*pin), GFP_ATOMIC | __GFP_NOWARN);
	if (!pin) {
		potad_desc_put(desc);
		return -ENOMEM;
	}
	pin->desc = desc;
	pin->count = refs;
	xa_lock_irqsave(&potad_pins, irqflags);
	old = __xa_cmpxchg(&potad_pins, pfn, NULL, pin,
			   GFP_ATOMIC | __GFP_NOWARN);
	if (old && !xa_is_err(old))
		old->count += refs;	/* pinned meanwhile by another CPU */
	xa_unlock_irqrestore(&potad_pins, irqflags);
	if (old) {
		kfree(pin);
		potad_desc_put(desc);
		return xa_is_err(old) ? xa_err(old) : 0;
	}
	return 0;
}

/**
 * potad_gup_pin_fast() - May GUP's fast path pin @folio?
 * @folio: A PageReserved folio try_grab_folio_fast() got.
 *
 * Context: GUP's fast path, interrupts disabled.
 * Return: False for a page a zone instance may hold: the caller drops
 * its reference and GUP falls back to its slow path.
 */
bool potad_gup_pin_fast(struct folio *folio)
{
	return !potad_gup_maybe(folio);
}

/**
 * potad_gup_unpin() - Drop @refs recorded pins of a POTAD page.
 * @folio: A PageReserved folio whose pins are being released.
 * @refs: The number of pins.
 *
 * For gup_put_folio(), before it drops the pins from the folio.  A page
 * without a record (not POTAD's) or unpinned more than it was pinned is
 * left to the kernel's own checks, the record unchanged.
 *
 * Context: Any context where a spinlock_t may be taken: with interrupts
 * disabled (GUP-fast's rollback) only for pages that are not POTAD's,
 * which return before taking any lock.
 * Return: On the last unpin of the page, the descriptor reference its
 * first pin took, for potad_gup_unpin_done() once the folio's pin
 * references are dropped (dropping it first could hand the block's pages
 * back to the buddy allocator under the pins); NULL otherwise.
 */
struct potad_desc *potad_gup_unpin(struct folio *folio, int refs)
{
	unsigned long pfn = folio_pfn(folio), irqflags;
	struct potad_desc *desc = NULL;
	struct potad_pin *pin;

	if (!potad_gup_maybe(folio))
		return NULL;
	xa_lock_irqsave(&potad_pins, irqflags);
	pin = xa_load(&potad_pins, pfn);
	if (pin && pin->count >= refs) {
		pin->count -= refs;
		if (!pin->count) {
			__xa_erase(&potad_pins, pfn);
			desc = pin->desc;
		}
	}
	xa_unlock_irqrestore(&potad_pins, irqflags);
	if (desc)
		kfree(pin);
	return desc;
}

/**
 * potad_gup_unpin_done() - Drop what potad_gup_unpin() returned.
 * @desc: Its return value, or NULL.
 *
 * Context: As potad_gup_unpin(), after the folio's pin references are
 * dropped.
 */
void potad_gup_unpin_done(struct potad_desc *desc)
{
	if (desc)
		potad_desc_put(desc);
}

/**
 * potad_gup_pinned() - Pins recorded on the pages of a block.
 * @desc: A descriptor of a zone instance's block of whole pages.
 *
 * Context: Any context where a spinlock_t may be taken.
 * Return: The sum of the recorded pins of its pages.
 */
unsigned long potad_gup_pinned(struct potad_desc *desc)
{
	unsigned long first = PHYS_PFN(potad_desc_phys(desc)), irqflags;
	unsigned long last = PHYS_PFN(potad_desc_phys(desc) +
				      potad_desc_bytes(desc) - 1);
	unsigned long index, sum = 0;
	struct potad_pin *pin;

	xa_lock_irqsave(&potad_pins, irqflags);
	xa_for_each_range(&potad_pins, index, pin, first, last)
		sum += pin->count;
	xa_unlock_irqrestore(&potad_pins, irqflags);
	return sum;
}
EXPORT_SYMBOL_GPL(potad_gup_pinned);

/* /sys/kernel/debug/potad/pins: one line per pinned page. */
static int potad_gup_show(struct seq_file *m, void *v)
{
	unsigned long index, irqflags;
	struct potad_pin *pin;

	xa_lock_irqsave(&potad_pins, irqflags);
	xa_for_each(&potad_pins, index, pin) {
		phys_addr_t phys = potad_desc_phys(pin->desc);

		seq_printf(m, "pfn %#lx pins %lu block %pa bytes %llu type %s\n",
			   index, pin->count, &phys,
			   potad_desc_bytes(pin->desc), pin->desc->type->name);
	}
	xa_unlock_irqrestore(&potad_pins, irqflags);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(potad_gup);

/* For mm/potad_debug.c (CONFIG_POTAD_DEBUGFS). */
void potad_gup_debugfs(struct dentry *dir)
{
	debugfs_create_file("pins", 0444, dir, NULL, &potad_gup_fops);
}
