#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Cachelines POTAD touches per order-0 operation, measured with cachegrind.
#
#   scripts/cachegrind.sh ./potad_bench [N]
#
# Runs "potad_bench cachegrind MODE N" under cachegrind on a 64 GiB space
# of 4 KiB units (16M units, ~4 MiB of metadata) fragmented by 256K
# order-0 blocks at random units, with a 1 MiB last-level cache so that
# the metadata does not fit.  Modes:
#   setup  the setup only (baseline)
#   noop   setup, then N random picks that only touch the descriptors
#   ops    setup, then N times: free a random block, allocate order 0
#   alloc  setup, then N order-0 allocations
#   free   setup, then N frees of distinct random blocks
# "Cachelines touched per operation" is the number of D1 misses (lines
# brought into the 32 KiB L1) per operation over the baseline; LL misses
# are the lines that came from memory.  For the mixed workload the net
# figure also subtracts the benchmark's own descriptor accesses (noop).
set -e

BENCH=${1:-./potad_bench}
N=${2:-100000}
CACHES="--I1=32768,8,64 --D1=32768,8,64 --LL=1048576,16,64"
OUT=${TMPDIR:-/tmp}/potad-cachegrind.$$

if ! command -v valgrind >/dev/null 2>&1; then
	echo "cachegrind: valgrind is not installed (apt-get install valgrind)" >&2
	exit 1
fi

run() {
	valgrind --tool=cachegrind --cache-sim=yes $CACHES \
		--cachegrind-out-file="$OUT.$1" "$BENCH" cachegrind "$1" "$N" \
		>/dev/null 2>"$OUT.$1.log" || {
		cat "$OUT.$1.log" >&2
		rm -f "$OUT".*
		exit 1
	}
}

# "events: Ir I1mr ILmr Dr D1mr DLmr Dw D1mw DLmw" and "summary: ..."
get() {
	awk -v want="$2" '
		/^events:/ { for (i = 2; i <= NF; i++) name[i] = $i }
		/^summary:/ { for (i = 2; i <= NF; i++) v[name[i]] = $i }
		END {
			if (want == "D1") print v["D1mr"] + v["D1mw"]
			else if (want == "LL") print v["DLmr"] + v["DLmw"]
			else print v[want]
		}' "$OUT.$1"
}

# row LABEL MODE BASELINE OPS
row() {
	awk -v label="$1" -v ops="$4" \
	    -v ir="$(get $2 Ir)" -v irb="$(get $3 Ir)" \
	    -v d1="$(get $2 D1)" -v d1b="$(get $3 D1)" \
	    -v ll="$(get $2 LL)" -v llb="$(get $3 LL)" 'BEGIN {
		printf "  %-42s %10.1f %10.2f %10.2f\n", label,
		       (ir - irb) / ops, (d1 - d1b) / ops, (ll - llb) / ops
	}'
}

for m in setup noop ops alloc free; do
	run $m
done

echo "cachegrind: 16M units (64 GiB of 4 KiB units), 256K random order-0 blocks live,"
echo "            N=$N; $CACHES"
printf "  %-42s %10s %10s %10s\n" "per operation" "instr" "D1 miss" "LL miss"
row "free random + alloc order 0 (gross)" ops setup $((2 * N))
row "free random + alloc order 0 (net of desc)" ops noop $((2 * N))
row "alloc order 0 only" alloc setup "$N"
row "free random block only" free setup "$N"
echo "  (D1 misses = cachelines touched; LL misses = lines from memory)"
rm -f "$OUT".*
