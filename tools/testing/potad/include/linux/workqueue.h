/* SPDX-License-Identifier: GPL-2.0 */
/*
 * POTAD userspace harness: work items without worker threads.
 *
 * schedule_work() and queue_work() only queue the work (callers may hold
 * spinlocks; nothing runs behind the test's back).  Queued work runs, in
 * the calling thread, from flush_work() on it or potad_shim_run_work()
 * (every queued item); cancel_work_sync() and cancel_work() drop it
 * unrun.  flush_work() and cancel_work_sync() also wait for the work if
 * another thread is running it; both may sleep (checked), and flushing
 * or cancelling a work item from inside itself is reported (it would
 * deadlock in the kernel).  Work functions run outside any spinlock, in
 * process context.
 */
#ifndef _POTAD_SHIM_LINUX_WORKQUEUE_H
#define _POTAD_SHIM_LINUX_WORKQUEUE_H

#include <stdbool.h>
#include <linux/list.h>
#include <linux/types.h>
#include <potad_shim.h>

struct work_struct;
typedef void (*work_func_t)(struct work_struct *work);

struct work_struct {
	unsigned long data;		/* harness: 1 while queued */
	struct list_head entry;
	work_func_t func;
};

/* Workqueues are all the same queue here. */
struct workqueue_struct;
#define system_wq		((struct workqueue_struct *)NULL)
#define system_unbound_wq	((struct workqueue_struct *)NULL)

#define __WORK_INITIALIZER(n, f) {					\
	.data = 0,							\
	.entry = LIST_HEAD_INIT((n).entry),				\
	.func = (f),							\
}

#define INIT_WORK(_work, _func) do {					\
	struct work_struct *__potad_w = (_work);			\
									\
	__potad_w->data = 0;						\
	INIT_LIST_HEAD(&__potad_w->entry);				\
	__potad_w->func = (_func);					\
} while (0)

/* Queued and not yet run (or cancelled). */
static inline bool work_pending(const struct work_struct *work)
{
	return __atomic_load_n(&work->data, __ATOMIC_ACQUIRE) & 1;
}

/* False if @work was already queued. */
bool queue_work(struct workqueue_struct *wq, struct work_struct *work);

static inline bool schedule_work(struct work_struct *work)
{
	return queue_work(system_wq, work);
}

bool potad_shim_flush_work(struct work_struct *work, const char *file,
			   int line);
bool potad_shim_cancel_work(struct work_struct *work, bool sync,
			    const char *file, int line);

/* Run @work now if queued, or wait for it; true if it did either. */
#define flush_work(work)	potad_shim_flush_work(work, __FILE__, __LINE__)
/* Drop @work if queued, wait if running; true if it was queued. */
#define cancel_work_sync(work)						\
	potad_shim_cancel_work(work, true, __FILE__, __LINE__)
/* Drop @work if queued (no wait); true if it was queued. */
#define cancel_work(work)						\
	potad_shim_cancel_work(work, false, __FILE__, __LINE__)

#endif /* _POTAD_SHIM_LINUX_WORKQUEUE_H */
