#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Boot the POTAD kernel under QEMU (TCG, 2 CPUs) and check the console.
# Usage: vm.sh run|test|leak|bench|benchcma|benchswap|off|cmaoff BZIMAGE INITRAMFS LOG
# run:  the demo only (KUnit disabled); test: KUnit at boot, demo,
# kselftests (both with 6 GB and potad=1G); leak: the swap kselftest's
# leak check of swapon/swapoff cycles, 2 GB, kmemleak=on;
# bench: POTAD against its peers, mm/potad_bench_peers.c, its lookup rows
# for POTAD_BENCH_SIZES live blocks (KUnit disabled, 6 GB and potad=1G);
# off: a CONFIG_POTAD=n kernel boots and shows no trace of POTAD (booted
# with potad=1G, which it must ignore); cmaoff: a CONFIG_POTAD_CMA=n
# kernel's CMA area (cma=64M) is the stock bitmap allocator and works;
# benchcma: the CMA range search, mm/potad_bench_cma.c, with
# POTAD_BENCH_CMA="OPS,SEED" (default 20000,1), on its models and on a
# real 1 GB area (cma=1G) holding movable memory; benchswap: the swap
# allocator on zram, tooling/guest/bench-swap.sh, with
# POTAD_BENCH_SWAP="FRAG_ROUNDS,TPUT_ROUNDS,SEEDS" (default 30,100,1).
# Fails on a panic, oops, WARNING, KASAN/lockdep/UBSAN report, or a guest
# that does not reach the end within POTAD_VM_TIMEOUT seconds.
# POTAD_VM_APPEND adds kernel parameters (kunit.filter_glob=... to debug).
set -uo pipefail
mode=$1 kernel=$2 initrd=$3 log=$4
here=$(cd "$(dirname "$0")" && pwd)
# The test guest took 736 s once, beside a kernel build with a cold
# ccache (a new machine): give it room.
timeout=${POTAD_VM_TIMEOUT:-900}
[ "$mode" = test ] && timeout=${POTAD_VM_TIMEOUT:-1500}
mem=${POTAD_VM_MEM:-2G}
[ "$mode" = bench ] || [ "$mode" = benchcma ] || [ "$mode" = benchswap ] &&
	mem=${POTAD_VM_MEM:-6G}
# run, test, bench: 1 GB reserved for the zone instances, a 1 GB block beyond
# MAX_PAGE_ORDER.  Below 4 GB the initrd, ACPI tables and the PCI hole
# leave no aligned gigabyte free, and memblock's early allocations take
# the top of memory: 6 GB leave [4 GB, 6 GB) free for potad=.
[ "$mode" = test ] || [ "$mode" = run ] || [ "$mode" = cmaoff ] &&
	mem=${POTAD_VM_MEM:-6G}
# test: and another aligned gigabyte above it for hugetlb_cma=1G.
[ "$mode" = test ] && mem=${POTAD_VM_MEM:-7G}

# TCG: the TSC follows the host clock while the jiffies lag behind it, so
# the clocksource watchdog would drop the TSC for jiffies, which stop with
# the tick in idle and leave sleepers waiting for ever.
append="console=ttyS0 panic=-1 tsc=reliable potad.mode=$mode"
# The host may not run a vCPU for many seconds while the other builds
# (two vCPUs and a kernel build on two cores): report a soft lockup
# after 60 s, not 20, so that only a CPU really stuck is one.
append="$append watchdog_thresh=30"
[ "$mode" != test ] && append="$append kunit.enable=0"
# potad=1G, unless POTAD_VM_APPEND brings its own potad= (the
# bad-argument test).
case "${POTAD_VM_APPEND:-}" in
*potad=*) ;;
*) append="$append potad=1G" ;;
esac
# The kernel's hugetlb selftests use the default size: make it POTAD's 1 GB.
# init_on_free=1: POTAD's own init_on_free paths run in the tests.
[ "$mode" = test ] && append="$append default_hugepagesz=1G init_on_free=1"
# test: a 1 GB hugetlb CMA area, which POTAD-CMA serves (mm-hugetlb.sh).
[ "$mode" = test ] && append="$append hugetlb_cma=1G"
# A default CMA area of 64 MB for the POTAD-CMA tests and the demo.
[ "$mode" = test ] || [ "$mode" = run ] || [ "$mode" = cmaoff ] &&
	append="$append cma=64M"
[ "$mode" = bench ] &&
	append="$append potad.bench=${POTAD_BENCH_SIZES:-1000,1000000,10000000}"
[ "$mode" = benchcma ] &&
	append="$append potad.bench_cma=${POTAD_BENCH_CMA:-20000,1} cma=1G"
[ "$mode" = benchswap ] &&
	append="$append potad.bench_swap=${POTAD_BENCH_SWAP:-30,100}"
# leak: kmemleak (CONFIG_DEBUG_KMEMLEAK_DEFAULT_OFF), which the other
# guests leave off: it slows every allocation.
[ "$mode" = leak ] && append="$append kmemleak=on"
append="$append ${POTAD_VM_APPEND:-}"

# test: 512 MB of hotpluggable memory (a pc-dimm, offline at boot) that
# the kselftest onlines, fills and offlines.
memopt=$mem hotplug=()
if [ "$mode" = test ]; then
	memopt="$mem,slots=2,maxmem=8G"
	hotplug=(-object memory-backend-ram,id=hp0,size=512M
		 -device pc-dimm,id=dimm0,memdev=hp0)
fi

echo "vm: booting ($mode, TCG, -smp 2, -m $memopt, timeout ${timeout}s), console in $log"
start=$(date +%s)
timeout --foreground -k 10 "$timeout" \
	qemu-system-x86_64 -accel tcg -cpu max -smp 2 -m "$memopt" "${hotplug[@]}" \
	-nographic -no-reboot -nodefaults -serial stdio \
	-kernel "$kernel" -initrd "$initrd" -append "$append" \
	</dev/null >"$log" 2>&1
rc=$?
echo "vm: guest exited after $(($(date +%s) - start))s (qemu rc=$rc)"
[ $rc -eq 124 ] && echo "vm: TIMEOUT after ${timeout}s" >>"$log"

if [ "$mode" = run ]; then
	sed -n '/POTAD-DEMO-BEGIN/,/POTAD-DEMO-END/p' "$log" | tr -d '\r'
fi
if [ "$mode" = bench ] || [ "$mode" = benchcma ] || [ "$mode" = benchswap ]; then
	sed -n '/POTAD-BENCH-BEGIN/,/POTAD-BENCH-END/p' "$log" | tr -d '\r'
fi
python3 "$here/checklog.py" "$log"
