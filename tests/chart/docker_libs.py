#!/usr/bin/env python3
"""
docker_libs.py - checks the Dockerfile without a container engine.

No container engine runs on the build machines, so this checks what can be checked
on the (Debian 12) host the binary was built on:
  - the Dockerfile's shape: a debian:12 build stage that runs a CMake Release build,
    a debian:12-slim runtime stage, numeric non-root USER, the ENTRYPOINT and CMD;
  - every shared library `ldd` lists for the built binary comes from a package the
    runtime stage installs, or from a dependency of one, or from the debian:12-slim base;
  - every library the binary links directly (DT_NEEDED) comes from a package the runtime
    stage names explicitly (libc6 aside), so the image never works only by accident.
Libraries map to packages with `dpkg -S`; dependency closures come from `dpkg-query`.
The base image is taken as what debian:12-slim is made of: the Priority "required"
packages plus apt, with their dependencies. Sanitizer runtimes (libasan, libubsan, ...)
of test builds are skipped. A runtime package the current binary does not need is
reported as a note, not a failure (modules land one by one).

Prints one line per check and closes with "N passed, N failed"; exits 1 on any failure.
"""
import argparse
import os
import re
import shlex
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))  # tests/: harness.py
import harness  # noqa: E402
from harness import check  # noqa: E402

SANITIZER_PKG = re.compile(r"^lib(asan|ubsan|lsan|tsan|hwasan)\d*$")
DIRECT_BASE_OK = {"libc6", "libgcc-s1"}


def sh(args):
    return subprocess.run(args, capture_output=True, text=True)


# ---- Dockerfile ------------------------------------------------------------------------

def instructions(text):
    """(INSTRUCTION, argument) pairs, continuation lines joined, comments dropped."""
    out, cur = [], ""
    for line in text.splitlines():
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        if s.endswith("\\"):
            cur += s[:-1] + " "
            continue
        cur += s
        parts = cur.split(None, 1)
        out.append((parts[0].upper(), parts[1] if len(parts) > 1 else ""))
        cur = ""
    return out


def stages(instrs):
    result = []
    for ins, arg in instrs:
        if ins == "FROM":
            result.append({"from": arg, "instrs": []})
        elif result:
            result[-1]["instrs"].append((ins, arg))
    return result


def apt_packages(stage):
    pkgs = []
    for ins, arg in stage["instrs"]:
        if ins != "RUN":
            continue
        for cmd in re.split(r"&&|;|\|\|", arg):
            words = shlex.split(cmd)
            words = [w for w in words if "=" not in w or w.startswith("-")]  # drop VAR=value prefixes
            if "apt-get" in words and "install" in words:
                after = words[words.index("install") + 1:]
                pkgs += [w for w in after if not w.startswith("-")]
    return pkgs


# ---- packages --------------------------------------------------------------------------

def owner(path):
    """The Debian package shipping `path` (trying /usr-merged spellings), or None."""
    cands = [path, os.path.realpath(path)]
    for p in list(cands):
        if p.startswith("/usr/"):
            cands.append(p[4:])
        else:
            cands.append("/usr" + p)
    for p in cands:
        r = sh(["dpkg", "-S", p])
        if r.returncode == 0:
            for line in r.stdout.splitlines():
                if not line.startswith("diversion"):
                    return line.split(":", 1)[0].split(",")[0].strip()
    return None


_deps_cache = {}


def depends(pkg):
    if pkg not in _deps_cache:
        r = sh(["dpkg-query", "-W", "-f=${Depends}, ${Pre-Depends}", pkg])
        deps = set()
        if r.returncode == 0:
            for clause in r.stdout.split(","):
                for alt in clause.split("|"):
                    name = alt.strip().split(" ")[0].split(":")[0]
                    if name and installed(name):
                        deps.add(name)
        _deps_cache[pkg] = deps
    return _deps_cache[pkg]


_installed_cache = {}


def installed(pkg):
    if pkg not in _installed_cache:
        r = sh(["dpkg-query", "-W", "-f=${Status}", pkg])
        _installed_cache[pkg] = r.returncode == 0 and "install ok installed" in r.stdout
    return _installed_cache[pkg]


def closure(pkgs):
    seen, todo = set(), list(pkgs)
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        todo += [d for d in depends(p) if d not in seen]
    return seen


def base_image_packages():
    r = sh(["dpkg-query", "-W", "-f=${Package} ${Priority}\n"])
    req = [l.split()[0] for l in r.stdout.splitlines() if l.endswith(" required")]
    return closure(req + ["apt"])


# ---- binary ----------------------------------------------------------------------------

def ldd_paths(binary):
    r = sh(["ldd", binary])
    if r.returncode != 0:
        raise RuntimeError(f"ldd failed: {r.stderr.strip() or r.stdout.strip()}")
    paths = []
    for line in r.stdout.splitlines():
        m = re.match(r"\s*(\S+)\s+=>\s+(\S+)\s+\(", line) or re.match(r"\s*(/\S+)\s+\(", line)
        if not m:
            if "not found" in line:
                raise RuntimeError(f"ldd: {line.strip()}")
            continue
        paths.append(m.group(m.lastindex))
    return paths


def needed(binary):
    r = sh(["readelf", "-d", binary])
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", r.stdout)


def check_dockerfile(path):
    """The Dockerfile's stages, user, entry point and packages; returns the runtime packages (None
    when there is no runtime stage to look at)."""
    with open(path) as f:
        text = f.read()
    st = stages(instructions(text))
    if not check("Dockerfile is multi-stage", len(st) >= 2, f"{len(st)} stage(s)"):
        return None
    build, runtime = st[0], st[-1]
    check("build stage FROM debian:12 AS <name>", re.fullmatch(r"debian:12\s+AS\s+\S+", build["from"], re.I) is not None,
          build["from"])
    check("runtime stage FROM debian:12-slim", runtime["from"].split()[0] == "debian:12-slim", runtime["from"])
    build_name = build["from"].split()[-1]
    runs = " ".join(arg for ins, arg in build["instrs"] if ins == "RUN")
    check("build stage builds scoregate Release with CMake",
          "CMAKE_BUILD_TYPE=Release" in runs and "--target scoregate" in runs, runs[:200])
    bpkgs = set(apt_packages(build))
    want_dev = {"cmake", "libyaml-dev", "libjansson-dev", "libpcre2-dev", "libssl-dev", "libmicrohttpd-dev",
                "libgnutls28-dev"}
    check("build stage installs the -dev packages", want_dev <= bpkgs, sorted(want_dev - bpkgs))
    rins = runtime["instrs"]
    users = [arg for ins, arg in rins if ins == "USER"]
    check("runtime USER is numeric non-root 65532",
          bool(users) and re.fullmatch(r"[1-9][0-9]*(:[1-9][0-9]*)?", users[-1]) is not None
          and users[-1].split(":")[0] == "65532", users)
    entry = [arg for ins, arg in rins if ins == "ENTRYPOINT"]
    cmd = [arg for ins, arg in rins if ins == "CMD"]
    check("ENTRYPOINT [\"/usr/local/bin/scoregate\"]",
          entry and entry[-1].replace(" ", "") == '["/usr/local/bin/scoregate"]', entry)
    check("CMD [\"serve\"]", cmd and cmd[-1].replace(" ", "") == '["serve"]', cmd)
    copies = [arg for ins, arg in rins if ins == "COPY"]
    check("runtime stage copies the binary from the build stage",
          any(c.startswith(f"--from={build_name} ") and c.endswith(" /usr/local/bin/scoregate") for c in copies),
          copies)
    rpkgs = apt_packages(runtime)
    not_lib = [p for p in rpkgs if not p.startswith("lib")]
    check("runtime stage installs only libraries", not not_lib, not_lib)
    missing_here = [p for p in rpkgs if not installed(p)]
    check("runtime packages exist in Debian 12 (installed on this host)", not missing_here, missing_here)
    return rpkgs


def check_libraries(binary, rpkgs):
    """Every library the binary loads comes from a package the runtime stage (or its base) installs."""
    try:
        libs = ldd_paths(binary)
    except RuntimeError as e:
        check("ldd of the binary", False, str(e))
        return
    lib_pkg = {}
    unknown = []
    for p in libs:
        pkg = owner(p)
        if pkg is None:
            unknown.append(p)
        else:
            lib_pkg[p] = pkg
    check("every ldd library belongs to a Debian package", not unknown, unknown)

    sanitizer = sorted({k for k, v in lib_pkg.items() if SANITIZER_PKG.match(v)})
    if sanitizer:
        print(f"# note: skipping sanitizer runtimes of a test build: {', '.join(sanitizer)}")
    provided = closure(set(rpkgs)) | base_image_packages()
    uncovered = sorted({f"{os.path.basename(p)} ({pkg})" for p, pkg in lib_pkg.items()
                        if not SANITIZER_PKG.match(pkg) and pkg not in provided})
    check("every ldd library is installed by the runtime stage (or its base)", not uncovered,
          f"add to the runtime stage: {uncovered}")

    direct_missing = []
    for soname in needed(binary):
        path = next((p for p in libs if os.path.basename(p) == soname), None)
        pkg = lib_pkg.get(path) if path else None
        if pkg is None or SANITIZER_PKG.match(pkg) or pkg in DIRECT_BASE_OK:
            continue
        if pkg not in rpkgs:
            direct_missing.append(f"{soname} ({pkg})")
    check("every directly linked library's package is named in the runtime stage", not direct_missing,
          f"name explicitly: {direct_missing}")

    used = set(lib_pkg.values())
    unused = [p for p in rpkgs if p not in used]
    if unused:
        print(f"# note: runtime packages the current binary does not load: {', '.join(unused)}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--binary", required=True)
    ap.add_argument("--dockerfile", required=True)
    a = ap.parse_args()
    rpkgs = check_dockerfile(a.dockerfile)
    if rpkgs is not None:
        check_libraries(a.binary, rpkgs)
    harness.finish()


if __name__ == "__main__":
    main()
