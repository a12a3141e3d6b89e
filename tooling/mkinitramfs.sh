#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build the guest initramfs: static busybox, init, demo, kselftest.
# Usage: mkinitramfs.sh KSRC BUILD OUT
set -euo pipefail
ksrc=$1 build=$2 out=$3
here=$(cd "$(dirname "$0")" && pwd)
root=$build/initramfs
sel=$build/selftests

# The kselftest, built static by its own Makefile (lib.mk) in the tree.
mkdir -p "$sel"
make -s -C "$ksrc/tools/testing/selftests/potad" OUTPUT="$sel" \
	LDFLAGS=-static >/dev/null

rm -rf "$root"
mkdir -p "$root"/{bin,dev,proc,sys,tmp,kselftest/potad}
cp /bin/busybox "$root/bin/busybox"
if ldd "$root/bin/busybox" 2>&1 | grep -q '=>'; then
	echo "initramfs: /bin/busybox is not static (install busybox-static)" >&2
	exit 1
fi
ln -s busybox "$root/bin/sh"
install -m 755 "$here/guest/init" "$root/init"
install -m 755 "$here/guest/demo.sh" "$root/demo.sh"
install -m 755 "$sel/potad_debugfs" "$root/kselftest/potad/"
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) |
	gzip -9 > "$out.tmp"
mv "$out.tmp" "$out"
echo "initramfs: $out"
