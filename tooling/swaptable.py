#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Put make bench-swap's two guest logs side by side.

Usage: swaptable.py POTAD_LOG STOCK_LOG

Reads the lines tooling/guest/bench-swap.sh prints between
POTAD-BENCH-BEGIN and POTAD-BENCH-END ("tsat:", "frag:", "tput:") from
the POTAD-swap kernel's console and the CONFIG_POTAD_SWAP=n kernel's,
and prints one table; exits 1 if either run did not end with rc=0.
"""

import re
import sys


def parse(path):
    text = open(path, errors="replace").read().replace("\r", "")
    m = re.search(r"POTAD-BENCH-BEGIN\n(.*?)POTAD-BENCH-END rc=(\d+)", text,
                  re.S)
    if not m:
        return None, {}
    body, rc = m.group(1), int(m.group(2))
    res = {}
    for l in body.splitlines():
        t = re.match(r"tsat: args '([^']*)' iterations (\d+) nonzero (\d+) "
                     r"max_fallback ([\d.]*)%", l)
        if t:
            res["tsat " + t.group(1)] = "%s/%s iterations > 0 %%, max %s %%" % (
                t.group(3), t.group(2), t.group(4) or "?")
        f = re.match(r"frag: (\d+)kB swpout (\d+) swpout_fallback (\d+) "
                     r"fallback ([\d.]+)%", l)
        if f:
            res["frag %skB" % f.group(1)] = "%s out, %s fallback (%s %%)" % (
                f.group(2), f.group(3), f.group(4))
        t = re.match(r"tput: .* swapout_MBps ([\d.]+) swapin_MBps ([\d.]+)", l)
        if t:
            res["tput out MB/s"] = t.group(1)
            res["tput in MB/s"] = t.group(2)
        if l.startswith("frag: rounds"):
            res["frag setup"] = l[len("frag: "):]
    return rc, res


def main():
    rcp, p = parse(sys.argv[1])
    rcs, s = parse(sys.argv[2])
    keys = []
    for k in list(p) + list(s):
        if k not in keys:
            keys.append(k)
    w = max([len(k) for k in keys] + [10])
    print("%-*s  %-40s  %s" % (w, "", "POTAD swap", "stock (POTAD_SWAP=n)"))
    for k in keys:
        print("%-*s  %-40s  %s" % (w, k, p.get(k, "-"), s.get(k, "-")))
    if rcp != 0 or rcs != 0:
        print("swaptable: a run failed (rc %s, %s)" % (rcp, rcs))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
