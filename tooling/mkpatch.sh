#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Turn edits made in build/linux into a patch for patches/.
# Usage: tooling/mkpatch.sh NNNN-name.patch "subsystem: summary" "body" FILE...
# FILEs are kernel paths (e.g. mm/Makefile) edited in build/linux; the
# diff is taken against the pristine file from the source tarball.  The
# patch is written to patches/ and appended to patches/series.
set -euo pipefail
[ $# -ge 4 ] || { sed -n '3,7p' "$0"; exit 2; }
name=$1 subj=$2 body=$3
shift 3
repo=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tar -xJf /usr/src/linux-source-6.12.tar.xz -C "$tmp" \
	"${@/#/linux-source-6.12/}"
{
	echo "From: $(git -C "$repo" config user.name) <$(git -C "$repo" config user.email)>"
	echo "Subject: [PATCH] $subj"
	echo
	echo "$body"
	echo
	echo "Signed-off-by: $(git -C "$repo" config user.name) <$(git -C "$repo" config user.email)>"
	echo "---"
	for f in "$@"; do
		diff -u --label "a/$f" --label "b/$f" \
			"$tmp/linux-source-6.12/$f" "$repo/build/linux/$f" || true
	done
} >"$repo/patches/$name"
grep -qx "$name" "$repo/patches/series" || echo "$name" >>"$repo/patches/series"
echo "mkpatch: patches/$name"
