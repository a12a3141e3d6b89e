#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The kernel's own hugetlb selftests (tools/testing/selftests/mm) on 1 GB
# pages that POTAD provides: the guest boots with potad=1G and
# default_hugepagesz=1G.  Each 1 GB page is taken from POTAD when
# nr_hugepages is raised (PotadTotal - PotadFree grows by 1 GB) and given
# back when it is lowered.  TAP on stdout.
hp=/sys/kernel/mm/hugepages/hugepages-1048576kB
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
used0=$(potad_used)
echo 1 > $hp/nr_hugepages
check "$(cat $hp/nr_hugepages)" 1 "nr_hugepages of 1 GB raised to 1"
check "$(potad_used)" $((used0 + 1048576)) "the 1 GB page came from POTAD"
for t in "map_hugetlb 1024 30" "hugepage-vmemmap"; do
	n=$((n + 1))
	t0=$(date +%s)
	if /kselftest/mm/$t > /tmp/mm.out 2>&1; then
		echo "ok $n mm/$t"
	else
		echo "not ok $n mm/$t"
		fail=1
	fi
	echo "# mm/$t took $(($(date +%s) - t0)) s"
	sed 's/^/# /' /tmp/mm.out
done
echo 0 > $hp/nr_hugepages
check "$(cat $hp/nr_hugepages)" 0 "nr_hugepages of 1 GB lowered to 0"
check "$(potad_used)" "$used0" "the 1 GB page went back to POTAD"
echo "1..$n"
exit $fail
