#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Build the POTAD kernel tree: Debian's linux-source-6.12 + overlay + patches.

Usage: tree.py REPO BUILD_DIR

Content-based and idempotent.  The desired content of every file POTAD
manages (overlay files and files touched by patches/series) is computed
first; only files whose content differs are written, so untouched files
keep their timestamps and kbuild rebuilds incrementally.  A file that was
managed by an earlier run but no longer is (overlay file deleted, patch
dropped from the series) is restored from the pristine copy saved before
its first modification, or deleted if it did not exist upstream.
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

TARBALL = os.environ.get("POTAD_TARBALL", "/usr/src/linux-source-6.12.tar.xz")
TOPDIR = "linux-source-6.12"

# Debian packages the build/boot/test loop needs (binary -> package).
PACKAGES = [
    "linux-source-6.12", "qemu-system-x86", "busybox-static", "ccache",
    "sparse", "build-essential", "bc", "bison", "flex", "libelf-dev",
    "libssl-dev", "cpio", "xz-utils", "kmod", "python3", "liburcu-dev",
    "valgrind", "patch",
]

# Top-level repository entries that are not part of the kernel overlay.
NOT_OVERLAY = {".git", ".ci", ".gitignore", "Makefile", "README.md",
               "build", "patches", "tooling"}


def die(msg):
    print("tree: " + msg, file=sys.stderr)
    sys.exit(1)


def missing_packages():
    out = subprocess.run(
        ["dpkg-query", "-W", "-f=${Package} ${db:Status-Status}\n"] + PACKAGES,
        capture_output=True, text=True).stdout
    ok = {l.split()[0] for l in out.splitlines()
          if l.split()[1:] == ["installed"]}
    return [p for p in PACKAGES if p not in ok]


def ensure_packages():
    miss = missing_packages()
    if not miss:
        return
    if os.geteuid() != 0:
        die("missing Debian packages (run as root or install): " +
            " ".join(miss))
    print("tree: installing " + " ".join(miss), flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    cmd = ["apt-get", "install", "-y", "--no-install-recommends"] + miss
    if subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL).returncode:
        subprocess.run(["apt-get", "update"], env=env,
                       stdout=subprocess.DEVNULL)
        if subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL).returncode:
            die("apt-get install failed for: " + " ".join(miss))
    miss = missing_packages()
    if miss:
        die("still missing after install: " + " ".join(miss))


def extract(build):
    ktree = os.path.join(build, "linux")
    marker = os.path.join(build, ".extracted")
    if os.path.exists(marker) and os.path.isdir(ktree):
        return ktree
    if not os.path.isfile(TARBALL):
        die("source tarball missing: " + TARBALL)
    tmp = os.path.join(build, "extract.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.rmtree(ktree, ignore_errors=True)
    os.makedirs(tmp)
    print("tree: extracting " + TARBALL, flush=True)
    r = subprocess.run(["tar", "-xJf", TARBALL, "-C", tmp],
                       capture_output=True)
    if r.returncode or not os.path.isfile(
            os.path.join(tmp, TOPDIR, "Makefile")):
        shutil.rmtree(tmp, ignore_errors=True)
        die("corrupt or truncated source tarball: " + TARBALL)
    os.rename(os.path.join(tmp, TOPDIR), ktree)
    shutil.rmtree(tmp)
    for f in ("state.json",):
        p = os.path.join(build, f)
        if os.path.exists(p):
            os.unlink(p)
    shutil.rmtree(os.path.join(build, "pristine"), ignore_errors=True)
    open(marker, "w").close()
    return ktree


def overlay_files(repo):
    """Overlay files: tracked or new, not git-ignored, in kernel dirs."""
    r = subprocess.run(["git", "-C", repo, "ls-files", "-z", "--cached",
                        "--others", "--exclude-standard"],
                       capture_output=True)
    if r.returncode:
        die("not a git checkout: " + repo)
    files = {}
    for rel in r.stdout.decode().split("\0"):
        if "/" not in rel or rel.split("/", 1)[0] in NOT_OVERLAY:
            continue
        full = os.path.join(repo, rel)
        if os.path.isfile(full):
            with open(full, "rb") as f:
                files[rel] = f.read()
    return files


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return None


def patched_paths(patch):
    paths = []
    for line in read(patch).decode(errors="replace").splitlines():
        if line.startswith("+++ "):
            p = line[4:].split("\t")[0].strip()
            if p != "/dev/null":
                paths.append(p.split("/", 1)[1])
    return paths


def main():
    if len(sys.argv) != 3:
        die("usage: tree.py REPO BUILD_DIR")
    repo, build = map(os.path.abspath, sys.argv[1:])
    os.makedirs(build, exist_ok=True)
    ensure_packages()
    ktree = extract(build)
    pristine_dir = os.path.join(build, "pristine")
    state_file = os.path.join(build, "state.json")
    state = json.loads(read(state_file) or b"{}")
    # state: path -> "new" (not upstream) or "saved" (pristine kept)

    def base_content(rel):
        """Pristine upstream content of rel, or None if not upstream."""
        st = state.get(rel)
        if st == "new":
            return None
        if st == "saved":
            return read(os.path.join(pristine_dir, rel))
        return read(os.path.join(ktree, rel))

    desired = overlay_files(repo)
    modes = {rel: os.stat(os.path.join(repo, rel)).st_mode & 0o777
             for rel in desired}

    series = os.path.join(repo, "patches", "series")
    patches = []
    if os.path.exists(series):
        for line in read(series).decode().splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                patches.append(line)
    if patches:
        with tempfile.TemporaryDirectory(dir=build) as scratch:
            touched = set()
            for name in patches:
                pfile = os.path.join(repo, "patches", name)
                if not os.path.isfile(pfile):
                    die("patch listed in series not found: patches/" + name)
                touched.update(patched_paths(pfile))
            for rel in touched:
                c = desired.get(rel, base_content(rel))
                if c is not None:
                    dst = os.path.join(scratch, rel)
                    os.makedirs(os.path.dirname(dst), exist_ok=True)
                    with open(dst, "wb") as f:
                        f.write(c)
            for name in patches:
                pfile = os.path.join(repo, "patches", name)
                r = subprocess.run(
                    ["patch", "-p1", "-s", "-N", "-f", "--no-backup-if-mismatch",
                     "-d", scratch, "-i", pfile],
                    capture_output=True, text=True)
                if r.returncode:
                    why = (r.stdout + r.stderr).strip().splitlines()
                    die("patch does not apply: patches/%s (%s)" %
                        (name, why[-1] if why else "error"))
            for rel in touched:
                c = read(os.path.join(scratch, rel))
                if c is not None:
                    desired[rel] = c

    changed = 0
    for rel, content in sorted(desired.items()):
        dst = os.path.join(ktree, rel)
        cur = read(dst)
        if rel not in state:
            if cur is None:
                state[rel] = "new"
            else:
                sv = os.path.join(pristine_dir, rel)
                os.makedirs(os.path.dirname(sv), exist_ok=True)
                shutil.copy2(dst, sv)
                state[rel] = "saved"
        if cur != content:
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            with open(dst, "wb") as f:
                f.write(content)
            changed += 1
        if rel in modes and os.stat(dst).st_mode & 0o777 != modes[rel]:
            os.chmod(dst, modes[rel])
    for rel in sorted(set(state) - set(desired)):
        dst = os.path.join(ktree, rel)
        if state[rel] == "new":
            if os.path.exists(dst):
                os.unlink(dst)
                changed += 1
        else:
            sv = os.path.join(pristine_dir, rel)
            if read(dst) != read(sv):
                shutil.copyfile(sv, dst)  # new mtime: kbuild must notice
                changed += 1
            os.unlink(sv)
        del state[rel]
    with open(state_file + ".tmp", "w") as f:
        json.dump(state, f, indent=1, sort_keys=True)
    os.replace(state_file + ".tmp", state_file)
    digest = hashlib.sha1(json.dumps(sorted(state)).encode()).hexdigest()[:8]
    print("tree: %s ready, %d managed files (%s), %d updated" %
          (os.path.relpath(ktree), len(state), digest, changed))


if __name__ == "__main__":
    main()
