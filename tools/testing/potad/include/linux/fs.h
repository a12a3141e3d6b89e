/* SPDX-License-Identifier: GPL-2.0 */
/*
 * POTAD userspace harness: just enough VFS for debugfs file_operations.
 */
#ifndef _POTAD_SHIM_LINUX_FS_H
#define _POTAD_SHIM_LINUX_FS_H

#include <sys/types.h>
#include <linux/compiler.h>
#include <linux/types.h>

struct module;

struct inode {
	void *i_private;
};

struct file {
	void *private_data;
	const struct file_operations *f_op;
};

struct file_operations {
	struct module *owner;
	int (*open)(struct inode *inode, struct file *file);
	ssize_t (*read)(struct file *file, char __user *buf, size_t len,
			loff_t *ppos);
	ssize_t (*write)(struct file *file, const char __user *buf,
			 size_t len, loff_t *ppos);
	loff_t (*llseek)(struct file *file, loff_t off, int whence);
	int (*release)(struct inode *inode, struct file *file);
};

#endif /* _POTAD_SHIM_LINUX_FS_H */
