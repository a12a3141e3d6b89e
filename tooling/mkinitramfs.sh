#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build the guest initramfs: static busybox, init, demo, kselftests.
# Usage: mkinitramfs.sh KSRC BUILD OUT
set -euo pipefail
ksrc=$(realpath "$1") build=$(realpath "$2") out=$3
here=$(cd "$(dirname "$0")" && pwd)
root=$build/initramfs
sel=$build/selftests

# The kselftest, built static by its own Makefile (lib.mk) in the tree.
mkdir -p "$sel"
make -s -C "$ksrc/tools/testing/selftests/potad" OUTPUT="$sel" \
	LDFLAGS=-static >/dev/null

# The kernel's own hugetlb tests from tools/testing/selftests/mm, against
# the tree's UAPI headers (installed in build/uapi: Debian's are older).
make -s -C "$ksrc" O="$build/uapi" ARCH=x86_64 HOSTCC="ccache gcc" headers
mkdir -p "$sel/mm"
# gup_longterm's local_config.h (check_config.sh's): without liburing.
mkdir -p "$sel/mm-include"
: > "$sel/mm-include/local_config.h"
for t in map_hugetlb hugepage-vmemmap gup_test gup_longterm \
	hugetlb-soft-offline; do
	# In the source directory: gup_longterm names a file after __FILE__.
	(cd "$ksrc/tools/testing/selftests/mm" &&
	 gcc -static -O2 -I"$ksrc" -I"$ksrc/tools/testing/selftests" \
		-I"$sel/mm-include" -isystem "$build/uapi/usr/include" \
		-o "$sel/mm/$t" "$t.c" vm_util.c -lpthread)
done
# The swap cases of cow and khugepaged; 6.12's khugepaged.c uses
# KSFT_SKIP without including kselftest.h.
for t in cow khugepaged; do
	inc=
	[ $t = khugepaged ] && inc="-include ../kselftest.h"
	# shellcheck disable=SC2086
	(cd "$ksrc/tools/testing/selftests/mm" &&
	 gcc -static -O2 -I"$ksrc" -I"$ksrc/tools/testing/selftests" \
		-I"$sel/mm-include" -isystem "$build/uapi/usr/include" $inc \
		-o "$sel/mm/$t" "$t.c" vm_util.c thp_settings.c -lpthread)
done

# The kernel's swap allocator test (tools/mm), for make bench-swap.
gcc -static -O2 -isystem "$build/uapi/usr/include" \
	-o "$sel/mm/thp_swap_allocator_test" \
	"$ksrc/tools/mm/thp_swap_allocator_test.c"

rm -rf "$root"
mkdir -p "$root"/{bin,dev,proc,sys,tmp,kselftest/potad,kselftest/mm}
cp /bin/busybox "$root/bin/busybox"
if ldd "$root/bin/busybox" 2>&1 | grep -q '=>'; then
	echo "initramfs: /bin/busybox is not static (install busybox-static)" >&2
	exit 1
fi
ln -s busybox "$root/bin/sh"
install -m 755 "$here/guest/init" "$root/init"
install -m 755 "$here/guest/demo.sh" "$root/demo.sh"
install -m 755 "$sel/potad_debugfs" "$sel/potad_memory_failure" \
	"$sel/potad_gup" "$sel/potad_cma" "$sel/potad_swap" \
	"$sel/potad_swap_bench" "$root/kselftest/potad/"
install -m 755 "$sel"/mm/* "$root/kselftest/mm/"
install -m 755 "$here/guest/mm-hugetlb.sh" "$here/guest/mm-gup.sh" \
	"$here/guest/mm-swap.sh" "$here/guest/mm-lib.sh" \
	"$here/guest/bench-swap.sh" \
	"$root/kselftest/mm/"
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) |
	gzip -9 > "$out.tmp"
mv "$out.tmp" "$out"
echo "initramfs: $out"
