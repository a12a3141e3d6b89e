#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Put make bench-swap's two guest logs side by side.

Usage: swaptable.py POTAD_LOG STOCK_LOG

Reads the lines tooling/guest/bench-swap.sh prints between
POTAD-BENCH-BEGIN and POTAD-BENCH-END ("allocator:", "tsat:", "frag:",
"tput:").  The POTAD-swap kernel's log has a block for POTAD and one for
mm/swapfile.c's allocator in the same boot (potad.swap=0); the
CONFIG_POTAD_SWAP=n kernel's log has the stock block only.  Prints one
table with three columns, the throughput as the mean of each allocator's
runs and the same-boot ratio POTAD/stock; exits 1 if either run did not
end with rc=0.
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
    runs, cur = {}, None
    for l in body.splitlines():
        a = re.match(r"allocator: (\w+)", l)
        if a:
            cur = runs.setdefault(a.group(1), {"tput": []})
            continue
        if cur is None:
            continue
        t = re.match(r"tsat: args '([^']*)' iterations (\d+) nonzero (\d+) "
                     r"max_fallback ([\d.]*)%", l)
        if t:
            cur["tsat " + t.group(1)] = "%s/%s iterations > 0 %%, max %s %%" % (
                t.group(3), t.group(2), t.group(4) or "?")
        f = re.match(r"frag: (\d+)kB swpout (\d+) swpout_fallback (\d+) "
                     r"fallback ([\d.]+)%", l)
        if f:
            # Summed over the seeds.
            o, b = cur.setdefault("frag", {}).get(f.group(1), (0, 0))
            cur["frag"][f.group(1)] = (o + int(f.group(2)),
                                       b + int(f.group(3)))
        t = re.match(r"tput: .* swapout_MBps ([\d.]+) swapin_MBps ([\d.]+)", l)
        if t:
            cur["tput"].append((float(t.group(1)), float(t.group(2))))
        if l.startswith("frag: rounds"):
            setup = re.sub(r" seed \d+", "", l[len("frag: "):])
            cur["frag seeds"] = cur.get("frag seeds", 0) + 1
            cur["frag setup"] = setup
    for r in runs.values():
        for kb, (o, b) in r.pop("frag", {}).items():
            r["frag %skB" % kb] = "%d out, %d fallback (%.2f %%)" % (
                o, b, 100.0 * b / (o + b) if o + b else 0)
        tp = r.pop("tput")
        if tp:
            r["tput out MB/s"] = sum(x[0] for x in tp) / len(tp)
            r["tput in MB/s"] = sum(x[1] for x in tp) / len(tp)
            r["tput runs"] = len(tp)
    return rc, runs


def main():
    rcp, p = parse(sys.argv[1])
    rcs, s = parse(sys.argv[2])
    cols = [("POTAD swap", p.get("potad", {})),
            ("stock, same boot (potad.swap=0)", p.get("stock", {})),
            ("stock (POTAD_SWAP=n kernel)", s.get("stock", {}))]
    keys = []
    for _, c in cols:
        for k in c:
            if k not in keys:
                keys.append(k)
    w = max([len(k) for k in keys] + [10])

    def fmt(v):
        return "%.1f" % v if isinstance(v, float) else str(v)

    print("%-*s  %-40s  %-40s  %s" % ((w, "") + tuple(n for n, _ in cols)))
    for k in keys:
        print("%-*s  %-40s  %-40s  %s" % ((w, k) + tuple(
            fmt(c.get(k, "-")) for _, c in cols)))
    for k in ("tput out MB/s", "tput in MB/s"):
        a, b = cols[0][1].get(k), cols[1][1].get(k)
        if a and b:
            print("%-*s  %.3f (POTAD / stock, same boot)" % (
                w, k.replace(" MB/s", " ratio"), a / b))
    if rcp != 0 or rcs != 0:
        print("swaptable: a run failed (rc %s, %s)" % (rcp, rcs))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
