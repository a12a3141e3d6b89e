#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# make bench-swap, in the guest: the swap allocator on /dev/zram0.
#   (a) the kernel's tools/mm/thp_swap_allocator_test, -a and -a -s, on
#       a 64 MB device with 64 KB mTHP, as its header describes;
#   (b) potad_swap_bench frag: 16, 32 and 64 KB folios on a device about
#       92 % full;
#   (c) potad_swap_bench tput: swap-out and swap-in throughput, 2 CPUs.
# POTAD_SWAP_ROUNDS="FRAG_ROUNDS TPUT_ROUNDS" (kernel parameter
# potad.bench_swap=F,T) trims the runs.
frag=${1:-30} tput=${2:-10}
thp=/sys/kernel/mm/transparent_hugepage
z=/sys/block/zram0
rc=0
[ -e /sys/kernel/debug/potad/swap ] && echo "allocator: potad" ||
	echo "allocator: stock"
for args in "-a" "-a -s"; do
	swapoff /dev/zram0 2>/dev/null
	echo 1 > $z/reset
	echo lzo > $z/comp_algorithm
	echo 64M > $z/disksize
	for d in $thp/hugepages-*kB; do echo never > $d/enabled 2>/dev/null; done
	echo never > $thp/enabled
	echo always > $thp/hugepages-64kB/enabled
	mkswap /dev/zram0 >/dev/null && swapon /dev/zram0 || rc=1
	/kselftest/mm/thp_swap_allocator_test $args > /tmp/tsat.out || rc=1
	n=$(grep -c '^Iteration' /tmp/tsat.out)
	nz=$(grep '^Iteration' /tmp/tsat.out | grep -vc 'percentage: 0.00%')
	max=$(sed -n 's/.*percentage: \([0-9.]*\)%.*/\1/p' /tmp/tsat.out |
		sort -n | tail -1)
	echo "tsat: args '$args' iterations $n nonzero $nz max_fallback ${max}%"
	tail -1 /tmp/tsat.out
	swapoff /dev/zram0
done
for d in $thp/hugepages-*kB; do echo never > $d/enabled 2>/dev/null; done
/kselftest/potad/potad_swap_bench frag "$frag" 1 || rc=1
/kselftest/potad/potad_swap_bench tput "$tput" || rc=1
exit $rc
