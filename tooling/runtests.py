#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""make test: every POTAD test stage, one summary line.

Stages, each printing its own result:
  build      W=1 + sparse (C=2) on the POTAD objects, then the bzImage
  harness    tools/testing/potad (the real mm/potad.c, ASan + UBSan)
  checkpatch scripts/checkpatch.pl --strict on every new file and patch
  kunit      lib/test_potad.c at boot in the guest, KTAP via kunit.py parse
  kselftest  tools/testing/selftests/potad in the guest, TAP
  mm-hugetlb the kernel's own map_hugetlb and hugepage-vmemmap
             (selftests/mm) on 1 GB pages taken from the hugetlb_cma
             area POTAD-CMA serves and from POTAD's zone instances
  guest      the console has no panic/oops/WARNING/KASAN/lockdep report
  mm-swap    the kernel's own cow and khugepaged (selftests/mm) over a
             zram swap device through POTAD, in the test guest
  params     the leak guest (the test kernel, booted beside the test
             guest) gets bad potad= arguments: one line each, nothing
             reserved, the boot goes on
  kselftest-leak  in that guest, booted with kmemleak=on: the swap
             kselftest's swapon/swapoff cycles leak nothing
  off        a CONFIG_POTAD=n kernel (the same config otherwise) builds
             and boots: every hunk compiles away
  cmaoff     a CONFIG_POTAD_CMA=n CONFIG_POTAD_SWAP=n kernel builds and
             its stock CMA area works
  mm-gup     the kernel's own gup_test, gup_longterm and
             hugetlb-soft-offline (selftests/mm) with POTAD on, in the
             cmaoff guest (2 MB default huge pages)

The build has both CPUs; then the test guest boots, and the harness,
checkpatch, the option-off builds and the short boots run beside it on
the other CPU (the guest keeps about one busy); the guest's results are
printed when it is done, with how long its parts took.

The last line is "N passed, M failed" over individual test cases; the exit
status is non-zero if anything failed.  Usage: runtests.py REPO BUILD
"""

import json
import os
import re
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checklog  # noqa: E402

REPO, BUILD = map(os.path.abspath, sys.argv[1:3])
KSRC = os.path.join(BUILD, "linux")
TAP = re.compile(r"^\s*(not ok|ok) \d+ (?:- )?(.*?)(\s+#\s*(SKIP|skip).*)?$")
POTAD_OBJS = ["mm/potad.o", "mm/potad_lookup.o", "mm/potad_zone.o",
              "mm/potad_hugetlb.o", "mm/potad_failure.o",
              "mm/potad_gup.o", "mm/potad_cma.o", "mm/cma.o", "mm/cma_debug.o",
              "mm/potad_swap.o",
              "samples/potad/potad_buf.o",
              "mm/potad_debug.o", "mm/potad_bench.o", "mm/potad_bench_peers.o",
              "mm/potad_bench_cma.o",
              "lib/test_potad.o"]
SOURCE_EXT = (".c", ".h", ".rst")

totals = {"passed": 0, "failed": 0, "skipped": 0}
totals_lock = threading.Lock()
# A stage running in a thread writes its lines here; main() prints them
# in a fixed order once the thread is done.
buf = threading.local()


def say(line):
    """Print @line, or keep it for main() when in a buffered thread."""
    lines = getattr(buf, "lines", None)
    if lines is None:
        print(line, flush=True)
    else:
        lines.append(line)


def sh(cmd, log=None, **kw):
    """Run cmd, tee its output to log, return (rc, output).

    With timeout=, a command still running then is killed: rc -9."""
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True,
                           errors="replace", **kw)
    except subprocess.TimeoutExpired as e:
        out = e.stdout or ""
        if isinstance(out, bytes):
            out = out.decode(errors="replace")
        p = subprocess.CompletedProcess(cmd, -9, out + "\n(timed out)\n")
    if log:
        with open(os.path.join(BUILD, log), "w") as f:
            f.write(p.stdout)
    return p.returncode, p.stdout


def report(stage, passed, failed, skipped=0, t0=None, detail=()):
    for d in detail:
        say("  " + d)
    took = " (%.0fs)" % (time.time() - t0) if t0 else ""
    sk = ", %d skipped" % skipped if skipped else ""
    say("%s: %d passed, %d failed%s%s" % (stage, passed, failed, sk, took))
    with totals_lock:
        totals["passed"] += passed
        totals["failed"] += failed
        totals["skipped"] += skipped


def count_tap(text):
    """(passed, failed, skipped, names of failures) of TAP result lines."""
    p = f = s = 0
    bad = []
    for line in text.splitlines():
        m = TAP.match(line.rstrip("\r"))
        if not m:
            continue
        if m.group(4):
            s += 1
        elif m.group(1) == "ok":
            p += 1
        else:
            f += 1
            bad.append("not ok: " + m.group(2))
    return p, f, s, bad


def stage_harness():
    t0 = time.time()
    rc, out = sh(["make", "-s", "-C",
                  os.path.join(KSRC, "tools/testing/potad"), "test"],
                 log="harness.log")
    p, f, s, bad = count_tap(out)
    if rc and not f:
        f, bad = 1, ["harness exited %d, see build/harness.log" % rc]
    for line in out.splitlines():
        if line.startswith("# metadata") or line.startswith("# seed"):
            bad.insert(0, line)
    report("harness", p, f, s, t0, bad)


def overlay_sources():
    files = []
    for top in ("Documentation", "include", "lib", "mm", "samples",
                "tools"):
        for dp, _, fns in os.walk(os.path.join(REPO, top)):
            for fn in sorted(fns):
                rel = os.path.relpath(os.path.join(dp, fn), REPO)
                if fn.endswith(SOURCE_EXT) or fn.startswith("Kconfig") or \
                   fn == "Makefile":
                    files.append(rel)
    return sorted(files)


def checkpatch(args):
    rc, out = sh(["perl", "scripts/checkpatch.pl", "--strict", "--terse",
                  "--no-summary", "--show-types"] + args, cwd=KSRC)
    msgs = [l for l in out.splitlines() if re.search(
        r"(ERROR|WARNING|CHECK):", l)]
    return rc == 0 and not msgs, msgs


def stage_checkpatch():
    """checkpatch on every new file and every patch."""
    t0 = time.time()
    p = f = 0
    bad = []
    # The new files in one run (a perl start per file costs a third of
    # the stage); a file passes when no message names it.
    files = overlay_sources()
    ok, msgs = checkpatch(["-f"] + files)
    for x in files:
        mine = [m for m in msgs if m.startswith(x + ":")]
        if mine:
            f += 1
            bad += mine[:10]
        else:
            p += 1
    stray = [m for m in msgs if not any(m.startswith(x + ":")
                                        for x in files)]
    if stray or (not ok and not msgs):
        f += 1
        bad += stray[:10] or ["checkpatch failed without a message"]
    # EMBEDDED_FILENAME is a false positive on patches: mm/Kconfig must
    # say 'source "mm/Kconfig.potad"', which contains its own file name.
    items = [("--ignore=EMBEDDED_FILENAME",
               os.path.join(REPO, "patches", x.strip()))
              for x in open(os.path.join(REPO, "patches", "series"))
              if x.strip() and not x.startswith("#")]
    for flag, item in items:
        ok, msgs = checkpatch([flag, item])
        if ok:
            p += 1
        else:
            f += 1
            bad += msgs[:10]
    report("checkpatch", p, f, 0, t0, bad)


def stage_build():
    """W=1 + sparse on the POTAD objects, then the bzImage."""
    t0 = time.time()
    rc, out = sh(["make", "-s", "config"], log="config.log", cwd=REPO)
    if rc:
        report("build", 0, 1, 0, t0, out.strip().splitlines()[-5:])
        return False
    kmake = ["make", "-s", "-C", KSRC, "O=" + os.path.join(BUILD, "kbuild"),
             "ARCH=x86_64", "CC=ccache gcc", "HOSTCC=ccache gcc",
             "-j%d" % os.cpu_count()]
    env = dict(os.environ, CCACHE_DIR=os.environ.get(
        "CCACHE_DIR", "/var/cache/potad-ccache"), CCACHE_BASEDIR=REPO,
        KBUILD_BUILD_TIMESTAMP="2026-01-01 00:00:00 UTC",
        KBUILD_BUILD_USER="potad", KBUILD_BUILD_HOST="potad")
    rc, out = sh(kmake + ["W=1", "C=2"] + POTAD_OBJS, log="w1-sparse.log",
                 env=env)
    p = f = 0
    bad = []
    for obj in POTAD_OBJS:
        src = obj[:-2] + ".c"
        msgs = [l for l in out.splitlines() if src in l]
        if rc or msgs:
            f += 1
            bad += msgs[:10] or ["%s: build failed, see build/w1-sparse.log"
                                 % src]
        else:
            p += 1
    rc, out = sh(["make", "-s", "kernel"], log="kernel.log", cwd=REPO)
    if rc:
        f += 1
        bad += out.strip().splitlines()[-10:]
    else:
        p += 1
    report("build", p, f, 0, t0, bad)
    return rc == 0


# Bad potad= arguments, in one boot: each early_param call reports its own.
BAD_PARAMS = [
    ("potad=garbage", "cannot parse potad=garbage, nothing reserved"),
    ("potad=1:1G", "cannot parse potad=1:1G, nothing reserved"),
    ("potad=100G", "is more than half the free memory"),
]


def tap_section(text, marker, name):
    """Report the TAP between POTAD-<marker>-BEGIN and -END rc=N."""
    m = re.search(r"POTAD-%s-BEGIN(.*?)POTAD-%s-END rc=(\d+)"
                  % (marker, marker), text, re.S)
    if not m:
        report(name, 0, 1, 0, None, ["%s did not run" % name])
        return
    p, f, s, bad = count_tap(m.group(1))
    if int(m.group(2)) and not f:
        f, bad = 1, ["%s exited %s" % (name, m.group(2))]
    if not p and not f:
        f, bad = 1, ["%s printed no results" % name]
    report(name, p, f, s, None, bad)


def stage_leak():
    """The leak guest, booted with the bad potad= arguments.

    Garbage, an unknown node, more than memory: each gets its message,
    nothing is reserved, and the boot goes on, with kmemleak=on, to the
    swap kselftest's leak check of swapon/swapoff cycles."""
    t0 = time.time()
    log = os.path.join(BUILD, "leak.log")
    bz = os.path.join(BUILD, "kbuild/arch/x86/boot/bzImage")
    env = dict(os.environ,
               POTAD_VM_APPEND=" ".join(a for a, _ in BAD_PARAMS))
    sh([os.path.join(REPO, "tooling/vm.sh"), "leak", bz,
        os.path.join(BUILD, "initramfs.cpio.gz"), log], env=env)
    text = open(log, errors="replace").read()
    p, bad = 0, []
    for arg, msg in BAD_PARAMS:
        if msg in text:
            p += 1
        else:
            bad.append("%s: no \"%s\" on the console" % (arg, msg))
    if "potad: reserved" in text:
        bad.append("bad potad= arguments reserved memory")
    bad += checklog.problems(text)
    report("params", p, len(bad), 0, t0, bad[:20])
    tap_section(text, "KSELFTEST", "kselftest-leak")


# The option-off kernels: (mode, object tree, config lines dropped, line
# added, console marker of success, message without it, passes).
VARIANTS = {
    "off": ("kbuild-off", r"CONFIG_(SAMPLE_)?POTAD\w*=", "CONFIG_POTAD=n",
            "POTAD-OFF-OK",
            "the CONFIG_POTAD=n guest shows POTAD, see build/off.log", 2),
    "cmaoff": ("kbuild-cmaoff", r"CONFIG_POTAD_(CMA|SWAP)=",
               "CONFIG_POTAD_CMA=n\nCONFIG_POTAD_SWAP=n",
               "POTAD-CMAOFF-OK",
               "CMA without POTAD did not work, see build/cmaoff.log", 1),
}
# TAP sections a variant's guest prints too: (marker, stage name).
VARIANT_TAP = {"cmaoff": [("MM-GUP", "mm-gup")]}


def build_variant(mode, result):
    """Build the @mode kernel of VARIANTS; (rc, output, start) in @result."""
    kobj, drop, add = VARIANTS[mode][:3]
    t0 = time.time()
    frag = os.path.join(BUILD, "potad-%s.config" % mode)
    with open(os.path.join(REPO, "tooling/potad.config")) as f:
        lines = [l for l in f if not re.match(drop, l)]
    with open(frag, "w") as f:
        f.writelines(lines + [add + "\n"])
    rc, out = sh(["make", "-s", "kernel",
                  "KOBJ=" + os.path.join(BUILD, kobj),
                  "POTAD_CONFIG=" + frag], log=mode + "-kernel.log", cwd=REPO)
    result.update(rc=rc, out=out, t0=t0)


def stage_variant(mode, built):
    """Boot the @mode kernel built by build_variant() and check it."""
    kobj, _, _, marker, msg, passes = VARIANTS[mode]
    t0 = built.get("t0")
    if built.get("rc", 1):
        report(mode, 0, 1, 0, t0,
               built.get("out", "not built").strip().splitlines()[-10:])
        return
    log = os.path.join(BUILD, mode + ".log")
    bz = os.path.join(BUILD, kobj, "arch/x86/boot/bzImage")
    sh([os.path.join(REPO, "tooling/vm.sh"), mode, bz,
        os.path.join(BUILD, "initramfs.cpio.gz"), log])
    text = open(log, errors="replace").read()
    bad = checklog.problems(text)
    if marker not in text:
        bad.append(msg)
    report(mode, 0 if bad else passes, 1 if bad else 0, 0, t0, bad[:20])
    for marker, name in VARIANT_TAP.get(mode, []):
        tap_section(text, marker, name)


def phases(text):
    """How long each part of a guest took: its init's POTAD-TIME stamps."""
    last, out = 0.0, []
    for name, t in re.findall(r"POTAD-TIME (\S+) ([0-9.]+)", text):
        out.append("%s %.0fs" % (name, float(t) - last))
        last = float(t)
    return "guest time: " + (", ".join(out) or "no stamps")


def stage_guest(booting=None):
    """Build the initramfs, call @booting(), boot the test guest, check it."""
    t0 = time.time()
    rc, out = sh(["make", "-s", "initramfs"], log="initramfs.log", cwd=REPO)
    if booting:
        booting()
    if rc:
        report("guest", 0, 1, 0, t0, out.strip().splitlines()[-5:])
        return
    log = os.path.join(BUILD, "test.log")
    bz = os.path.join(BUILD, "kbuild/arch/x86/boot/bzImage")
    rc, out = sh([os.path.join(REPO, "tooling/vm.sh"), "test", bz,
        os.path.join(BUILD, "initramfs.cpio.gz"), log])
    say("  " + "\n  ".join(out.strip().splitlines()[:2]))
    text = open(log, errors="replace").read()

    # KUnit: kunit.py parse on the console, counted from its JSON.
    t1 = time.time()
    jf = os.path.join(BUILD, "kunit.json")
    # kunit.py parse has been seen looping for ever (and eating memory)
    # on a console where a boot message split a KTAP header: bounded, and
    # then the KTAP case lines are counted here instead.
    if os.path.exists(jf):
        os.unlink(jf)
    krc, kout = sh(["python3", os.path.join(KSRC, "tools/testing/kunit/kunit.py"),
                    "parse", "--json=" + jf, log], log="kunit-parse.log",
                   timeout=120)
    p = f = s = 0
    bad = []

    def walk(group):
        nonlocal p, f, s
        for case in group.get("test_cases", []):
            st = case["status"]
            if st == "PASS":
                p += 1
            elif st == "SKIP":
                s += 1
            else:
                f += 1
                bad.append("%s.%s: %s" % (group["name"], case["name"], st))
        for sub in group.get("sub_groups", []):
            walk(sub)
    try:
        if krc == -9:
            raise OSError("kunit.py parse timed out")
        walk(json.load(open(jf)))
    except (OSError, ValueError, KeyError):
        # The test cases: KTAP result lines indented one level, before
        # the guest's init runs.
        ktap = text.split("Run /init as init process")[0]
        p, f, s, bad = count_tap("\n".join(
            l for l in ktap.splitlines()
            if re.match(r"^\s{4}(not ok|ok) ", l.rstrip("\r")) and
            not re.match(r"^\s{8}", l)))
        if p or f:
            bad.insert(0, "kunit.py parse failed (rc %d): KTAP counted "
                       "directly" % krc)
    if not p and not f:
        f, bad = 1, ["no KUnit results in build/test.log (parse rc %d)" % krc]
    report("kunit", p, f, s, t1, bad)

    # kselftest, and the kernel's own hugetlb selftests on POTAD's 1 GB
    # pages: TAP between the markers.
    tap_section(text, "KSELFTEST", "kselftest")
    tap_section(text, "MM-SELFTEST", "mm-hugetlb")
    tap_section(text, "MM-SWAP", "mm-swap")

    problems = checklog.problems(text)
    report("guest", 0 if problems else 1, 1 if problems else 0, 0, t0,
           problems[:20])
    say("  " + phases(text))


def buffered(lines, fn, *args):
    """Run fn(*args) with its output kept in @lines."""
    buf.lines = lines
    try:
        fn(*args)
    except Exception as e:  # a crashed stage is a failed stage
        report(fn.__name__, 0, 1, 0, None, ["%s: %r" % (fn.__name__, e)])


def guest_stages(built, initramfs_done):
    if not built:
        initramfs_done.set()
        report("guest", 0, 1, 0, None, ["not booted: the build failed"])
        return
    say("== guest (kunit, kselftest, console)")
    stage_guest(booting=initramfs_done.set)


def main():
    t0 = time.time()
    print("== tree", flush=True)
    rc, out = sh(["python3", "tooling/tree.py", REPO, BUILD], cwd=REPO)
    print(out.strip())
    if rc:
        report("tree", 0, 1)
        print("%d passed, %d failed" % (totals["passed"], totals["failed"]))
        return 1
    # The build has both CPUs to itself.  Then the test guest, which
    # keeps about one CPU busy, boots while the other CPU runs the
    # harness, checkpatch, the option-off builds (one kernel build at a
    # time) and the short boots.
    print("== build", flush=True)
    built = stage_build()
    guest_out = []
    initramfs_done = threading.Event()
    guest = threading.Thread(target=buffered, args=(
        guest_out, guest_stages, built, initramfs_done))
    guest.start()
    print("== harness (beside the guest)", flush=True)
    stage_harness()
    print("== checkpatch (beside the guest)", flush=True)
    stage_checkpatch()
    if built:
        off = {}
        build_variant("off", off)
        # The short boots need the initramfs the guest thread builds.
        initramfs_done.wait()
        print("== params, kselftest-leak (bad potad= arguments, kmemleak=on; "
              "beside the guest)", flush=True)
        stage_leak()
        print("== off (CONFIG_POTAD=n: built and booted beside the guest)",
              flush=True)
        stage_variant("off", off)
        cmaoff = {}
        build_variant("cmaoff", cmaoff)
        print("== cmaoff (CONFIG_POTAD_CMA=n: built and booted beside the "
              "guest)", flush=True)
        stage_variant("cmaoff", cmaoff)
    guest.join()
    for line in guest_out:
        print(line, flush=True)
    print("make test: %.0fs" % (time.time() - t0))
    sk = ", %d skipped" % totals["skipped"] if totals["skipped"] else ""
    print("%d passed, %d failed%s" % (totals["passed"], totals["failed"], sk))
    return 1 if totals["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
