#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# In-guest demo: show what POTAD did.  Each step prints its result.
# Best fit: 3000 units are 2048+512+256+128+32+16+8, so the first
# small allocations come from the order-3 block at 2992.
set -e
d=/sys/kernel/debug/potad
t=$d/test

step() {
	echo "demo: $*"
	echo "$*" > $t
	case "$1" in alloc*) ;; *) return 0 ;; esac
	sed -n 's/^last \([0-9]*\) \([0-9]*\)/demo:   -> block at unit \1, order \2/p' $t
}

echo "demo: potad messages at boot:"
dmesg | grep 'potad:' || true
echo "demo: descriptor types:"
cat $d/types
step init 4096 63
step add 0 3000
step alloc 0
step alloc 3
step alloc 9
step alloc_at 1024 8
step retire 100
echo "demo: state after allocating:"
cat $t
step free 2992
step free 2976
step free 2048
step free 1024
echo "demo: state after freeing (merged back, unit 100 retired):"
cat $t
echo "demo: all instances:"
cat $d/instances
step destroy
