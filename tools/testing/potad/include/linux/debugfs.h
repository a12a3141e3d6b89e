/* SPDX-License-Identifier: GPL-2.0 */
/*
 * POTAD userspace harness: debugfs records the files created so that the
 * tests can render them (potad_shim_debugfs_read()); nothing is mounted.
 */
#ifndef _POTAD_SHIM_LINUX_DEBUGFS_H
#define _POTAD_SHIM_LINUX_DEBUGFS_H

#include <linux/fs.h>
#include <linux/seq_file.h>

struct dentry;

struct dentry *debugfs_create_dir(const char *name, struct dentry *parent);
struct dentry *debugfs_create_file(const char *name, unsigned short mode,
				   struct dentry *parent, void *data,
				   const struct file_operations *fops);
void debugfs_remove(struct dentry *dentry);

#endif /* _POTAD_SHIM_LINUX_DEBUGFS_H */
