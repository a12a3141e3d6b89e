#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The kernel's own hugetlb selftests (tools/testing/selftests/mm) on 1 GB
# pages that POTAD provides: the guest boots with potad=1G and
# default_hugepagesz=1G.  Each 1 GB page is taken from POTAD when
# nr_hugepages is raised (PotadFree drops by 1 GB) and given back when it
# is lowered.  TAP on stdout.
hp=/sys/kernel/mm/hugepages/hugepages-1048576kB
n=0 fail=0

potad_free() {
	awk '/^PotadFree:/ { print $2 }' /proc/meminfo
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
free0=$(potad_free)
echo 1 > $hp/nr_hugepages
check "$(cat $hp/nr_hugepages)" 1 "nr_hugepages of 1 GB raised to 1"
check "$(potad_free)" $((free0 - 1048576)) "the 1 GB page came from POTAD"
for t in "map_hugetlb 1024 30" "hugepage-vmemmap"; do
	n=$((n + 1))
	if /kselftest/mm/$t > /tmp/mm.out 2>&1; then
		echo "ok $n mm/$t"
	else
		echo "not ok $n mm/$t"
		fail=1
	fi
	sed 's/^/# /' /tmp/mm.out
done
echo 0 > $hp/nr_hugepages
check "$(cat $hp/nr_hugepages)" 0 "nr_hugepages of 1 GB lowered to 0"
check "$(potad_free)" "$free0" "the 1 GB page went back to POTAD"
echo "1..$n"
exit $fail
