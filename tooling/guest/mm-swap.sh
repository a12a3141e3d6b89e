#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The kernel's own cow and khugepaged selftests (tools/testing/selftests/mm),
# as run_vmtests.sh runs them, with a 256 MB zram swap device: their swap
# cases (MADV_PAGEOUT of small and large folios, swap-in, collapse of
# swapped-out ranges) go through POTAD's slot allocator in the test guest.
# One TAP line per run (exit 4 is a skip), the test's output as comments;
# then whether POTAD handed out the device's slots, where it is on.
z=/sys/block/zram0
dbg=/sys/kernel/debug/potad/swap
n=0 fail=0

. /kselftest/mm/mm-lib.sh

echo "TAP version 13"
swapoff /dev/zram0 2>/dev/null
echo 1 > $z/reset
echo 256M > $z/disksize
mkswap /dev/zram0 > /dev/null
n=$((n + 1))
if swapon /dev/zram0; then
	echo "ok $n swapon /dev/zram0"
else
	echo "not ok $n swapon /dev/zram0"
	fail=1
fi
cd /tmp || exit 1
# khugepaged runs only with THP "always" or "madvise" (run_vmtests.sh's
# default); the POTAD kselftest leaves it "never".
thp=/sys/kernel/mm/transparent_hugepage/enabled
thp0=$(sed 's/.*\[\(.*\)\].*/\1/' $thp)
echo madvise > $thp
run cow cow
run khugepaged khugepaged
run "khugepaged -s 2" khugepaged -s 2
if [ -e $dbg ]; then
	# Runs of every order POTAD handed out from the device.
	runs=$(awk '/^order .* runs / { s += $4 } END { print s + 0 }' $dbg)
	n=$((n + 1))
	if [ "$runs" -gt 0 ]; then
		echo "ok $n POTAD handed out $runs runs of slots"
	else
		echo "not ok $n POTAD handed out no runs of slots"
		fail=1
	fi
	sed 's/^/# /' $dbg
fi
echo "$thp0" > $thp
swapoff /dev/zram0
echo 1 > $z/reset
echo "1..$n"
exit $fail
