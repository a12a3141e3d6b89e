#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check a POTAD guest console log for kernel reports.

Any panic, oops, BUG, WARNING, KASAN, UBSAN, lockdep, hung-task or RCU
stall report fails, and so does a guest that never reached the end of its
init script.  The only
exception: the KUnit suite potad_errors feeds POTAD bad input on purpose,
and POTAD answers a caller bug with WARN_ONCE; inside that suite's KTAP
block, WARNINGs raised at mm/potad.c, mm/potad_lookup.c, mm/potad_zone.c,
mm/potad_cma.c or mm/potad_swap.c (and their
backtraces) are expected.

Usage: checklog.py LOG    (exit 0 if clean; one line per problem)
"""

import re
import sys

REPORT = re.compile(r"Kernel panic|Oops|BUG:|WARNING:|KASAN|UBSAN|"
                    r"general protection fault|possible circular locking|"
                    r"inconsistent lock state|suspicious RCU usage|"
                    r"stack-protector|blocked for more than|rcu: INFO:|"
                    r"TIMEOUT after")
EXPECTED_SUITE = "potad_errors"
# The path is relative to the source tree, or to the object tree when
# ccache's base_dir rewrites it (../linux/mm/potad.c).
EXPECTED_WARN = re.compile(
    r"WARNING: CPU: \d+ PID: \d+ at (?:[\w./-]*/)?mm/potad(?:_lookup|_zone|_cma|_swap)?\.c:\d+ ")
PREFIX = re.compile(r"^\[\s*\d+\.\d+\]\s?")


def problems(text):
    out = []
    in_suite = False
    for raw in text.splitlines():
        line = PREFIX.sub("", raw.rstrip("\r"))
        s = line.strip()
        if s == "# Subtest: " + EXPECTED_SUITE:
            in_suite = True
        elif re.match(r"(not )?ok \d+ %s$" % EXPECTED_SUITE, s):
            in_suite = False
        if not REPORT.search(line):
            continue
        if in_suite and EXPECTED_WARN.search(line):
            continue
        out.append(line.strip())
    if "POTAD-GUEST-DONE" not in text:
        out.append("guest did not reach the end of its init script")
    return out


def main():
    with open(sys.argv[1], errors="replace") as f:
        found = problems(f.read())
    for p in found[:20]:
        print("checklog: " + p)
    if found:
        print("checklog: %d problem(s) in %s" % (len(found), sys.argv[1]))
        return 1
    print("checklog: clean (no panic, oops, WARNING, KASAN, lockdep)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
