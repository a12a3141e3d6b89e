/* SPDX-License-Identifier: GPL-2.0 */
/*
 * POTAD userspace harness: seq_file printing into the reader's buffer
 * (single_open() files only).
 */
#ifndef _POTAD_SHIM_LINUX_SEQ_FILE_H
#define _POTAD_SHIM_LINUX_SEQ_FILE_H

#include <linux/compiler.h>
#include <linux/fs.h>
#include <linux/init.h>

struct seq_file {
	char *buf;
	size_t size;
	size_t count;
	int (*show)(struct seq_file *m, void *v);
	void *private;
};

__printf(2, 3)
void seq_printf(struct seq_file *m, const char *fmt, ...);
void seq_puts(struct seq_file *m, const char *s);
void seq_putc(struct seq_file *m, char c);

int single_open(struct file *file, int (*show)(struct seq_file *m, void *v),
		void *data);
int single_release(struct inode *inode, struct file *file);
ssize_t seq_read(struct file *file, char __user *buf, size_t size,
		 loff_t *ppos);
loff_t seq_lseek(struct file *file, loff_t offset, int whence);

#define DEFINE_SHOW_ATTRIBUTE(__name)					\
static int __name ## _open(struct inode *inode, struct file *file)	\
{									\
	return single_open(file, __name ## _show, inode->i_private);	\
}									\
									\
static const struct file_operations __name ## _fops = {			\
	.owner		= THIS_MODULE,					\
	.open		= __name ## _open,				\
	.read		= seq_read,					\
	.llseek		= seq_lseek,					\
	.release	= single_release,				\
}

#endif /* _POTAD_SHIM_LINUX_SEQ_FILE_H */
