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

# Real memory: the zone instances, with the potad= reservation.
zstep() {
	echo "demo: $*"
	echo "$*" > $t
	sed -n 's/^zlast \(0x[0-9a-f]*\) \([0-9]*\)/demo:   -> block at \1, \2 bytes/p' $t
}
meminfo() {
	grep '^Potad' /proc/meminfo | sed 's/^/demo:   /'
	grep '^potad_' /proc/vmstat | tr '\n' ' ' | sed 's/^/demo:   /; s/$/\n/'
}
echo "demo: zone instances (real memory):"
cat $d/zones
meminfo
# 1 GB from the reservation, far beyond MAX_PAGE_ORDER (with potad=1G).
if grep -q 'potad=1G' /proc/cmdline; then
	zstep zalloc 30
	p1g=$(sed -n 's/^zlast \(0x[0-9a-f]*\) .*/\1/p' $t)
	step lookup $((p1g + 12345))
	meminfo
	zstep zfree $p1g
fi
# 4 KB from ZONE_DMA32, which holds no reservation: a refill from the buddy.
zstep zalloc_dma32 12
p4k=$(sed -n 's/^zlast \(0x[0-9a-f]*\) .*/\1/p' $t)
step lookup $p4k
echo "demo: after the refill:"
cat $d/zones | grep -A3 DMA32
meminfo
zstep zfree $p4k
echo 2 > /proc/sys/vm/drop_caches
echo "demo: after drop_caches (the shrinker gave the block back):"
cat $d/zones | grep -A3 DMA32
meminfo
# 512 B: a block of the zone's sub-page instance, in a 64 KB chunk.
zstep zalloc 9
p512=$(sed -n 's/^zlast \(0x[0-9a-f]*\) .*/\1/p' $t)
step lookup $((p512 + 511))
cat $d/zones | grep -B4 'subpage 512B units [1-9]'
zstep zfree $p512

# Memory failure reaching the owner: the sample buffer cache
# (samples/potad/potad_buf.c) caches 16 KB buffers with 360-byte
# descriptors; poisoning the third page of one tells its owner, which
# drops it; unpoison gives the page back.
b=/sys/kernel/debug/potad_buf
if [ -w $b/ctl ] && [ -w /sys/kernel/debug/hwpoison/corrupt-pfn ]; then
	echo "demo: sample owner potad_buf: 4 buffers of 16 KB"
	echo "fill 4 16384" > $b/ctl
	sed 's/^/demo:   buffer (blkno size phys): /' $b/buffers
	phys=$(sed -n '2s/^[0-9]* [0-9]* \(0x[0-9a-f]*\)/\1/p' $b/buffers)
	pfn=$(( (phys + 8192) >> 12 ))
	printf 'demo: poisoning pfn %#x (byte 8192 of the buffer at %s)\n' \
		$pfn $phys
	dmesg -c >/dev/null
	echo $pfn > /sys/kernel/debug/hwpoison/corrupt-pfn
	dmesg | grep -E 'potad_buf|Memory failure' | sed 's/^\[[ 0-9.]*\] //; s/^/demo:   /'
	echo "demo: the owner's report (blkno size phys offset unit flags):"
	sed 's/^/demo:   /' $b/poisoned
	echo "demo: cached buffers now:"
	sed 's/^/demo:   /' $b/buffers
	grep HardwareCorrupted /proc/meminfo | sed 's/^/demo:   /'
	echo "drop" > $b/ctl
	echo $pfn > /sys/kernel/debug/hwpoison/unpoison-pfn
	echo "demo: unpoisoned:"
	grep HardwareCorrupted /proc/meminfo | sed 's/^/demo:   /'
	echo "forget" > $b/ctl
fi

# CMA over POTAD (CONFIG_POTAD_CMA, cma=64M): "8 MB at 1 MB" on an area
# cut into 1 MB allocations with one window of eight free 1 MB chunks at
# an odd MB.  The seed's ladder tries one 8 MB chunk, two adjacent 4 MB,
# four 2 MB, then eight 1 MB, which fits.
c=/sys/kernel/debug/cma/reserved
if [ -w $c/ladder ]; then
	echo "demo: CMA area 'reserved': $(cat $c/count) pages, $(cat $c/used) used"
	while echo "256 8" > $c/ladder 2>/dev/null; do :; done
	echo "demo:   cut into $(wc -l < $c/ladder) allocations of 1 MB"
	# The first allocation at an odd MB with seven of ours after it.
	win=
	for p in $(cut -d' ' -f1 $c/ladder); do
		[ $(( (p >> 8) & 1 )) = 1 ] || continue
		ok=1
		for j in 1 2 3 4 5 6 7; do
			grep -q "^$(printf '%#x' $((p + j * 256))) " $c/ladder || ok=
		done
		[ -n "$ok" ] && win=$p && break
	done
	for j in 0 1 2 3 4 5 6 7; do
		echo "release $(printf '%#x' $((win + j * 256))) 256" > $c/ladder
	done
	printf 'demo:   freed 8 MB at pfn %#x (an odd MB): maxchunk %s pages\n' \
		$win "$(cat $c/maxchunk)"
	busy0=$(sed -n 's/^busy_retries //p' $c/potad)
	echo "demo: cma_alloc(8 MB = 2048 pages, align 1 MB = order 8)"
	echo "2048 8" > $c/ladder
	line=$(grep "^alloc pfn $(printf '%#x' $win) pages 2048 " $c/potad)
	rung=$(echo "$line" | sed 's/.* rung \([0-9]*\) .*/\1/')
	busy=$(( $(sed -n 's/^busy_retries //p' $c/potad) - busy0 ))
	r=0
	for what in "one 8 MB chunk" "two adjacent 4 MB chunks" \
		    "four adjacent 2 MB chunks" "eight adjacent 1 MB chunks"; do
		if [ $r -lt $rung ]; then
			echo "demo:   rung $r: $what: no such run free"
		elif [ $r = $rung ]; then
			printf 'demo:   rung %d: %s: taken at pfn %#x\n' $r \
				"$what" $win
		fi
		r=$((r + 1))
	done
	echo "demo:   busy ranges retried: $busy"
	sed -n '/^rung/p' $c/potad | sed 's/^/demo:   /'
	echo free > $c/ladder
	echo "demo:   all released: $(cat $c/used) used"
fi
