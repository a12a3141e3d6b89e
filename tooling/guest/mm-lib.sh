# SPDX-License-Identifier: GPL-2.0
# Sourced by the guest's selftests/mm scripts: run NAME CMD... runs
# /kselftest/mm/CMD, prints one TAP line for it numbered from $n (exit 4
# is a skip; anything else but 0 sets fail=1), its time and its output
# as comments.
run() {
	name=$1
	shift
	n=$((n + 1))
	t0=$(date +%s)
	/kselftest/mm/"$@" > /tmp/mm.out 2>&1
	rc=$?
	case $rc in
	0) echo "ok $n mm/$name" ;;
	4) echo "ok $n mm/$name # SKIP" ;;
	*) echo "not ok $n mm/$name (exit $rc)"; fail=1 ;;
	esac
	echo "# mm/$name took $(($(date +%s) - t0)) s"
	sed 's/^/# /' /tmp/mm.out
}
