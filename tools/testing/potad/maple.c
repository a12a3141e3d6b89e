// SPDX-License-Identifier: GPL-2.0
/*
 * POTAD userspace harness: the kernel's lib/maple_tree.c, compiled as it
 * is in the harness's shim environment (include/), like
 * tools/testing/shared/maple-shim.c does for tools/testing/radix-tree:
 * its nodes come from the slab shim (fault injection, gfp checking,
 * accounting), its locking is the shim spinlocks' and liburcu's RCU.
 *
 * The test build defines CONFIG_DEBUG_MAPLE_TREE (mt_validate(),
 * mt_dump(); MT_BUG_ON() and MAS_WARN_ON() failures count as warnings
 * through dump_stack()) and CONFIG_PROVE_RCU; the benchmark neither.
 */
#include <linux/init.h>		/* __init, which maple_tree.c uses */

#include "../../../lib/maple_tree.c"

/* start_kernel() calls maple_tree_init(); the harness, before main(). */
static void __attribute__((constructor)) potad_maple_tree_init(void)
{
	maple_tree_init();
}
