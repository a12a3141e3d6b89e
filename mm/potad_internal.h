/* SPDX-License-Identifier: GPL-2.0 */
/*
 * POTAD internals shared between mm/potad*.c.
 */
#ifndef _MM_POTAD_INTERNAL_H
#define _MM_POTAD_INTERNAL_H

#include <linux/list.h>
#include <linux/mutex.h>

/* Protects both lists; held while registering and reading them. */
extern struct mutex potad_list_lock;
/* Every instance set up by potad_init(), on struct potad.list. */
extern struct list_head potad_instances;
/* Every registered descriptor type, on struct potad_type.list. */
extern struct list_head potad_types;

#endif /* _MM_POTAD_INTERNAL_H */
