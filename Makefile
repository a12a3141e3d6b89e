# SPDX-License-Identifier: GPL-2.0
#
# POTAD build/boot/test loop.  Everything generated lands in build/.
#
#   make tree     Debian's linux-source-6.12 + overlay + patches/series
#   make run      build the kernel and initramfs, boot it, run the demo
#   make test     harness, KUnit, kselftest, checkpatch, W=1 and sparse
#   make bench    the harness benchmarks (native), then make bench-guest
#   make bench-cma    the CMA range search: mm/cma.c's bitmap against
#                 POTAD's ladder, models in one boot, then real areas on
#                 two kernels: build/bench-cma.txt
#   make bench-swap   swap slots: POTAD against mm/swapfile.c's clusters,
#                 same guest, two kernels: build/bench-swap.txt
#   make bench-guest  POTAD against the buddy allocator, genalloc and
#                 kmalloc in one boot of a non-debug kernel: the table in
#                 build/bench-table.txt, the console in build/bench.log
#
# Installs missing Debian packages when run as root (see tooling/tree.py).

SHELL := /bin/bash
REPO := $(abspath .)
BUILD := $(REPO)/build
KSRC := $(BUILD)/linux
KOBJ := $(BUILD)/kbuild
BZIMAGE := $(KOBJ)/arch/x86/boot/bzImage
INITRAMFS := $(BUILD)/initramfs.cpio.gz
JOBS ?= $(shell nproc)

export CCACHE_DIR ?= /var/cache/potad-ccache
# Paths below the checkout hash as relative ones: clones share the cache.
export CCACHE_BASEDIR := $(REPO)
export KBUILD_BUILD_TIMESTAMP := 2026-01-01 00:00:00 UTC
export KBUILD_BUILD_USER := potad
export KBUILD_BUILD_HOST := potad

KMAKE = $(MAKE) -s -C $(KSRC) O=$(KOBJ) ARCH=x86_64 CC="ccache gcc" \
	HOSTCC="ccache gcc" -j$(JOBS)

.PHONY: all tree config kernel initramfs run test harness bench bench-guest \
	bench-kernel bench-kernel-swapoff bench-kernel-cmaoff bench-cma \
	bench-swap clean distclean

all: run

tree:
	@python3 tooling/tree.py $(REPO) $(BUILD)

# allnoconfig + POTAD_CONFIG, then check nothing was dropped.  make test
# builds a second kernel with KOBJ=build/kbuild-off and a fragment that
# switches POTAD off.
POTAD_CONFIG ?= $(REPO)/tooling/potad.config

config: tree
	@mkdir -p $(KOBJ) $(CCACHE_DIR)
	@$(KMAKE) KCONFIG_ALLCONFIG=$(POTAD_CONFIG) allnoconfig >/dev/null
	@tooling/kconfig-check.sh $(POTAD_CONFIG) $(KOBJ)/.config

kernel: config
	@echo "kernel: building bzImage"
	@$(KMAKE) bzImage
	@echo "kernel: $(BZIMAGE)"

initramfs: tree
	@tooling/mkinitramfs.sh $(KSRC) $(BUILD) $(INITRAMFS)

run: kernel initramfs
	@tooling/vm.sh run $(BZIMAGE) $(INITRAMFS) $(BUILD)/run.log

test:
	@python3 tooling/runtests.py $(REPO) $(BUILD)

# The harness is built in the tree, next to the kernel's tools/include
# and tools/lib it uses, like tools/testing/memblock.
harness: tree
	@$(MAKE) -s -C $(KSRC)/tools/testing/potad test

bench: tree
	@set -o pipefail; $(MAKE) -s -C $(KSRC)/tools/testing/potad bench cachegrind \
		| tee $(BUILD)/bench-native.txt
	@$(MAKE) -s bench-guest

# POTAD against its peers in the guest (mm/potad_bench_peers.c, -smp 2,
# potad=1G), its lookup rows for POTAD_BENCH_SIZES live blocks (default
# 1000,1000000,10000000), on a kernel without KUnit, KASAN, lockdep or
# DEBUG_VM: tooling/potad.config
# up to its "# Tests" line (plus DEBUG_KERNEL, which HWPOISON_INJECT
# needs), built in build/kbuild-bench.
BENCH_KOBJ := $(BUILD)/kbuild-bench
bench-kernel: tree
	@mkdir -p $(BENCH_KOBJ)
	@{ sed '/^# Tests/,$$d' tooling/potad.config; \
	   echo CONFIG_DEBUG_KERNEL=y; echo CONFIG_DEBUG_INFO_NONE=y; } \
		>$(BENCH_KOBJ)/potad-bench.config
	@$(subst O=$(KOBJ),O=$(BENCH_KOBJ),$(KMAKE)) \
		KCONFIG_ALLCONFIG=$(BENCH_KOBJ)/potad-bench.config allnoconfig >/dev/null
	@tooling/kconfig-check.sh $(BENCH_KOBJ)/potad-bench.config $(BENCH_KOBJ)/.config
	@echo "kernel: building the benchmark bzImage"
	@$(subst O=$(KOBJ),O=$(BENCH_KOBJ),$(KMAKE)) bzImage

# The same benchmark kernel with one option off: $(1) its object tree,
# $(2) the option (CONFIG_ omitted).
define bench_kernel_off
	@mkdir -p $(1)
	@{ sed '/^# Tests/,$$d' tooling/potad.config | grep -v '^CONFIG_$(2)='; \
	   echo CONFIG_$(2)=n; \
	   echo CONFIG_DEBUG_KERNEL=y; echo CONFIG_DEBUG_INFO_NONE=y; } \
		>$(1)/potad-bench.config
	@$(subst O=$(KOBJ),O=$(1),$(KMAKE)) \
		KCONFIG_ALLCONFIG=$(1)/potad-bench.config allnoconfig >/dev/null
	@tooling/kconfig-check.sh $(1)/potad-bench.config $(1)/.config
	@echo "kernel: building the CONFIG_$(2)=n benchmark bzImage"
	@$(subst O=$(KOBJ),O=$(1),$(KMAKE)) bzImage
endef

# CONFIG_POTAD_SWAP=n for make bench-swap, CONFIG_POTAD_CMA=n for make
# bench-cma.
BENCH_STOCK_KOBJ := $(BUILD)/kbuild-bench-swapoff
BENCH_CMAOFF_KOBJ := $(BUILD)/kbuild-bench-cmaoff
bench-kernel-swapoff: tree
	$(call bench_kernel_off,$(BENCH_STOCK_KOBJ),POTAD_SWAP)

bench-kernel-cmaoff: tree
	$(call bench_kernel_off,$(BENCH_CMAOFF_KOBJ),POTAD_CMA)

bench-guest: bench-kernel initramfs
	@tooling/vm.sh bench $(BENCH_KOBJ)/arch/x86/boot/bzImage $(INITRAMFS) \
		$(BUILD)/bench.log
	@sed -n '/POTAD-BENCH-BEGIN/,/POTAD-BENCH-END/p' $(BUILD)/bench.log \
		| tr -d '\r' >$(BUILD)/bench-table.txt
	@grep -q 'POTAD-BENCH-END rc=0' $(BUILD)/bench-table.txt

# The CMA range search (mm/potad_bench_cma.c): the bitmap of mm/cma.c
# and POTAD's ladder on the same workload in one boot of the benchmark
# kernel, then the real 1 GB area holding movable memory (cma_alloc() with
# migration); the same on the CONFIG_POTAD_CMA=n kernel, whose area is the
# stock bitmap's; POTAD_BENCH_CMA="OPS,SEED".  The tables of both boots
# in build/bench-cma.txt.
bench-cma: bench-kernel bench-kernel-cmaoff initramfs
	@tooling/vm.sh benchcma $(BENCH_KOBJ)/arch/x86/boot/bzImage $(INITRAMFS) \
		$(BUILD)/bench-cma.log
	@tooling/vm.sh benchcma $(BENCH_CMAOFF_KOBJ)/arch/x86/boot/bzImage \
		$(INITRAMFS) $(BUILD)/bench-cma-stock.log
	@for f in bench-cma bench-cma-stock; do \
		sed -n '/POTAD-BENCH-BEGIN/,/POTAD-BENCH-END/p' $(BUILD)/$$f.log \
			| tr -d '\r'; done >$(BUILD)/bench-cma.txt
	@[ "$$(grep -c 'POTAD-BENCH-END rc=0' $(BUILD)/bench-cma.txt)" = 2 ]

# The swap allocator (tooling/guest/bench-swap.sh): the kernel's
# thp_swap_allocator_test, a fragmenting mix of 16/32/64 KB folios and a
# throughput loop, on the benchmark kernel and on the same kernel with
# CONFIG_POTAD_SWAP=n, same guest, same seeds; POTAD_BENCH_SWAP="F,T,S"
# rounds and seeds.  The table in build/bench-swap.txt.
bench-swap: bench-kernel bench-kernel-swapoff initramfs
	@tooling/vm.sh benchswap $(BENCH_KOBJ)/arch/x86/boot/bzImage $(INITRAMFS) \
		$(BUILD)/bench-swap-potad.log
	@tooling/vm.sh benchswap $(BENCH_STOCK_KOBJ)/arch/x86/boot/bzImage \
		$(INITRAMFS) $(BUILD)/bench-swap-stock.log
	@python3 tooling/swaptable.py $(BUILD)/bench-swap-potad.log \
		$(BUILD)/bench-swap-stock.log | tee $(BUILD)/bench-swap.txt

clean:
	rm -rf $(KOBJ) $(BUILD)/initramfs* $(BUILD)/*.log
	[ ! -d $(KSRC)/tools/testing/potad ] || \
		$(MAKE) -s -C $(KSRC)/tools/testing/potad clean

distclean:
	rm -rf $(BUILD)
