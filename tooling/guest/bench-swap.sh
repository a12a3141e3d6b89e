#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# make bench-swap, in the guest: the swap allocator on /dev/zram0.
#   (a) the kernel's tools/mm/thp_swap_allocator_test, -a and -a -s, on
#       a 64 MB device with 64 KB mTHP, as its header describes;
#   (b) potad_swap_bench frag: 16, 32 and 64 KB folios on a device about
#       92 % full;
#   (c) potad_swap_bench tput: swap-out and swap-in throughput, 2 CPUs.
# On a POTAD-swap kernel each runs twice in the same boot: with POTAD
# handing out the slots, then with potad.swap=0 (mm/swapfile.c's cluster
# allocator, the code a CONFIG_POTAD_SWAP=n kernel runs); (c) runs eight
# times, POTAD, stock, stock, POTAD twice over, so that drift cancels.  Each block of
# lines starts with "allocator: NAME".
# POTAD_BENCH_SWAP="FRAG_ROUNDS,TPUT_ROUNDS,SEEDS" (kernel parameter
# potad.bench_swap=F,T,S) trims the runs: (b) runs with seeds 1..S
# (default 1), (c) not at all with T 0.
frag=${1:-30} tput=${2:-100} seeds=${3:-1}
thp=/sys/kernel/mm/transparent_hugepage
z=/sys/block/zram0
param=/sys/module/potad/parameters/swap
rc=0

# Which allocator the next swapon gets: potad or stock.
use() {
	[ -e $param ] && { [ "$1" = potad ] && echo 1 || echo 0; } > $param
	echo "allocator: $1"
}

tsat() {
	for args in "-a" "-a -s"; do
		swapoff /dev/zram0 2>/dev/null
		echo 1 > $z/reset
		echo lzo > $z/comp_algorithm
		echo 64M > $z/disksize
		for d in $thp/hugepages-*kB; do
			echo never > $d/enabled 2>/dev/null
		done
		echo never > $thp/enabled
		echo always > $thp/hugepages-64kB/enabled
		mkswap /dev/zram0 >/dev/null && swapon /dev/zram0 || rc=1
		/kselftest/mm/thp_swap_allocator_test $args > /tmp/tsat.out ||
			rc=1
		n=$(grep -c '^Iteration' /tmp/tsat.out)
		nz=$(grep '^Iteration' /tmp/tsat.out |
			grep -vc 'percentage: 0.00%')
		max=$(sed -n 's/.*percentage: \([0-9.]*\)%.*/\1/p' /tmp/tsat.out |
			sort -n | tail -1)
		echo "tsat: args '$args' iterations $n nonzero $nz max_fallback ${max}%"
		tail -1 /tmp/tsat.out
		swapoff /dev/zram0
	done
	for d in $thp/hugepages-*kB; do echo never > $d/enabled 2>/dev/null; done
}

if [ -e $param ]; then
	allocs="potad stock"
	tputs="potad stock stock potad potad stock stock potad"
else
	allocs=stock
	tputs="stock stock stock stock"
fi
for a in $allocs; do
	use $a
	tsat
	for seed in $(seq 1 "$seeds"); do
		/kselftest/potad/potad_swap_bench frag "$frag" "$seed" || rc=1
	done
done
[ "$tput" = 0 ] && tputs=
for a in $tputs; do
	use $a
	/kselftest/potad/potad_swap_bench tput "$tput" || rc=1
done
[ -e $param ] && echo 1 > $param
exit $rc
