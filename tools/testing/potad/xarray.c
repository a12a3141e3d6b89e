// SPDX-License-Identifier: GPL-2.0
/*
 * POTAD userspace harness: the kernel's lib/xarray.c, compiled as it is
 * in the harness's shim environment (include/), like
 * tools/testing/shared/xarray-shared.c does for tools/testing/radix-tree:
 * its nodes come from the slab shim (fault injection, gfp checking,
 * accounting), its locking is the shim spinlocks' and liburcu's RCU.
 *
 * lib/radix-tree.c, which owns the XArray's node cache
 * (radix_tree_node_cachep) and frees its nodes after a grace period
 * (radix_tree_node_rcu_free()), is not compiled: those two are below, as
 * the kernel has them.  The test build defines XA_DEBUG (see
 * linux/xarray.h); the benchmark does not.
 */
#include "../../../lib/xarray.c"

struct kmem_cache *radix_tree_node_cachep;

/* Nodes are zeroed when they go back to the cache: the ctor's state. */
void radix_tree_node_rcu_free(struct rcu_head *head)
{
	struct xa_node *node = container_of(head, struct xa_node, rcu_head);

	memset(node->slots, 0, sizeof(node->slots));
	memset(node->tags, 0, sizeof(node->tags));
	INIT_LIST_HEAD(&node->private_list);

	kmem_cache_free(radix_tree_node_cachep, node);
}

static void radix_tree_node_ctor(void *arg)
{
	struct xa_node *node = arg;

	memset(node, 0, sizeof(*node));
	INIT_LIST_HEAD(&node->private_list);
}

/*
 * start_kernel() calls radix_tree_init(), which creates the node cache;
 * the harness, before main().  The cache is never destroyed, as in the
 * kernel.
 */
static void __attribute__((constructor)) potad_radix_tree_init(void)
{
	BUILD_BUG_ON(XA_CHUNK_SIZE > 255);
	radix_tree_node_cachep = kmem_cache_create("radix_tree_node",
						   sizeof(struct xa_node), 0,
						   SLAB_PANIC |
						   SLAB_RECLAIM_ACCOUNT,
						   radix_tree_node_ctor);
}
