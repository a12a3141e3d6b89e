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
	case "$1" in
	alloc*) sed -n 's/^last \([0-9]*\) \([0-9]*\)/demo:   -> block at unit \1, order \2/p' $t ;;
	lookup) sed -n 's/^lookup /demo:   -> /p' $t ;;
	esac
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

# A memory space of 4 KB units at 64 TB (the memory need not exist: POTAD
# never touches it): lookups from a physical address to the descriptor.
step init_memory 12 0x400000000000 1024
step add 0x400000000 1024
step alloc 0
step alloc 4
step alloc_at 0x400000100 8
step lookup 0x400000000000
step lookup 0x400000010000
step lookup 0x40000001ffff
step lookup 0x400000020000
step lookup 0x400000180123
step lookup 0x4000001fffff
step lookup 0x400000200000
step free 0x400000010
step lookup 0x400000010000
step destroy
