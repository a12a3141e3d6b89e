#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The kernel's own hugetlb selftests (tools/testing/selftests/mm) on 1 GB
# pages that POTAD provides: the guest boots with potad=1G,
# hugetlb_cma=1G and default_hugepagesz=1G.  hugetlb takes its first
# 1 GB page from its CMA area, hugetlb0, which POTAD-CMA serves
# (mm/potad_cma.c: one allocation of 262144 pages, rung 0, with its
# descriptor, in /sys/kernel/debug/cma/hugetlb0/potad), and the second
# from POTAD's zone instances (PotadTotal - PotadFree grows by 1 GB);
# both go back when nr_hugepages is lowered.  The tests run on the CMA
# page alone, then map_hugetlb on both.  Without the CMA area the one
# page is POTAD's.  TAP on stdout.
hp=/sys/kernel/mm/hugepages/hugepages-1048576kB
cdbg=/sys/kernel/debug/cma/hugetlb0
csys=/sys/kernel/mm/cma/hugetlb0
n=0 fail=0

# Memory POTAD has handed out, in kB: not free elastic memory, which the
# shrinker may give back at any time.
potad_used() {
	awk '/^PotadTotal:/ { t = $2 } /^PotadFree:/ { f = $2 }
	     END { print t - f }' /proc/meminfo
}

check() {
	n=$((n + 1))
	if [ "$1" = "$2" ]; then
		echo "ok $n $3"
	else
		echo "not ok $n $3 (got $1, expected $2)"
		fail=1
	fi
}

echo "TAP version 13"
if [ ! -d $hp ]; then
	echo "1..0 # SKIP no 1 GB huge pages"
	exit 0
fi
. /kselftest/mm/mm-lib.sh

used0=$(potad_used)
pages=1
if [ -d $cdbg ]; then
	ok0=$(cat $csys/alloc_pages_success)
	rel0=$(cat $csys/release_pages_success)
	echo 1 > $hp/nr_hugepages
	check "$(cat $hp/nr_hugepages)" 1 "nr_hugepages of 1 GB raised to 1"
	check "$(cat $csys/alloc_pages_success)" $((ok0 + 262144)) \
		"the 1 GB page came from hugetlb_cma"
	check "$(potad_used)" "$used0" "not from POTAD's zone instances"
	check "$(grep -c '^alloc .* pages 262144 rung 0 ' $cdbg/potad)" 1 \
		"POTAD-CMA holds it as one allocation, rung 0"
	run "map_hugetlb 1024 30" map_hugetlb 1024 30
	run hugepage-vmemmap hugepage-vmemmap
	pages=2
fi
echo $pages > $hp/nr_hugepages
check "$(cat $hp/nr_hugepages)" $pages "nr_hugepages of 1 GB raised to $pages"
check "$(potad_used)" $((used0 + 1048576)) "a 1 GB page came from POTAD"
if [ $pages = 1 ]; then
	run "map_hugetlb 1024 30" map_hugetlb 1024 30
	run hugepage-vmemmap hugepage-vmemmap
else
	run "map_hugetlb 2048 30" map_hugetlb 2048 30
fi
echo 0 > $hp/nr_hugepages
check "$(cat $hp/nr_hugepages)" 0 "nr_hugepages of 1 GB lowered to 0"
check "$(potad_used)" "$used0" "the 1 GB page went back to POTAD"
if [ -d $cdbg ]; then
	check "$(cat $csys/release_pages_success)" $((rel0 + 262144)) \
		"the CMA page went back to hugetlb_cma"
	check "$(grep -c '^alloc ' $cdbg/potad)" 0 \
		"POTAD-CMA holds no allocation"
fi
echo "1..$n"
exit $fail
