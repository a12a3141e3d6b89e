#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The kernel's own GUP and memory-failure selftests (tools/testing/selftests/mm)
# with POTAD on: they pass on the stock kernel and must keep passing.
# gup_test as run_vmtests.sh runs it, gup_longterm (with 2 MB pages for its
# hugetlb cases) and hugetlb-soft-offline on three pages of the default
# huge page size, whose soft offline migrates one and dissolves it.
# Not hugetlb-read-hwpoison: 6.12's MADV_HWPOISON (MF_ACTION_REQUIRED)
# kills it with SIGBUS on the stock kernel too (CONFIG_POTAD=n).
# One TAP line per run (exit 4 is a skip), the test's output as comments.
size=$(awk '/^Hugepagesize:/ { print $2 }' /proc/meminfo)
hp=/sys/kernel/mm/hugepages/hugepages-${size}kB
hp2m=/sys/kernel/mm/hugepages/hugepages-2048kB
n=0 fail=0

. /kselftest/mm/mm-lib.sh

# Set the pool of @1 to @2 pages: one TAP line.
pool() {
	echo "$2" > "$1/nr_hugepages"
	n=$((n + 1))
	if [ "$(cat "$1/nr_hugepages")" = "$2" ]; then
		echo "ok $n $2 huge pages in ${1##*/}"
	else
		echo "not ok $n $2 huge pages in ${1##*/} (got $(cat "$1/nr_hugepages"))"
		fail=1
	fi
}

echo "TAP version 13"
# gup_longterm's "local tmpfile" is created in the working directory.
cd /tmp || exit 1
run "gup_test -u" gup_test -u
run "gup_test -a" gup_test -a
run "gup_test -ct -F 0x1 0 19 0x1000" gup_test -ct -F 0x1 0 19 0x1000
pool $hp2m 2
run gup_longterm gup_longterm
pool $hp2m 0
pool "$hp" 3
run hugetlb-soft-offline hugetlb-soft-offline
# It leaves soft offline disabled, and a page poisoned (out of the pool).
echo 1 > /proc/sys/vm/enable_soft_offline
pool "$hp" 0
echo "1..$n"
exit $fail
