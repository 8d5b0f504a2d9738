"""Shared helpers for the scan format tests: run the binary, count checks.

Every script prints "N passed, N failed" and exits non-zero when a check
failed. Checks read the output the way its consumer would (json, xml.etree,
a PNG decoder), not by comparing strings alone.
"""
import os
import subprocess
import sys
import traceback


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, cond, what):
        if cond:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL: {what}")
        return cond

    def group(self, name, fn, *args):
        """Run one test group; an exception counts as a failure, the rest goes on."""
        print(f"== {name}")
        try:
            fn(self, *args)
        except Exception:  # a crash in one group must not hide the others
            self.failed += 1
            print(f"FAIL: {name} raised")
            traceback.print_exc()

    def finish(self):
        print(f"{self.passed} passed, {self.failed} failed")
        sys.exit(1 if self.failed or not self.passed else 0)


def scan(binary, *args, stdin=None, cwd=None, env=None, timeout=300):
    """Run `scoregate scan ARGS`; returns the CompletedProcess (text mode)."""
    full_env = dict(os.environ)
    full_env.pop("NO_COLOR", None)
    if env:
        full_env.update(env)
    return subprocess.run([binary, "scan", *args], input=stdin, capture_output=True, text=True,
                          cwd=cwd, env=full_env, timeout=timeout)


def run_groups(groups, doc):
    """The command line of a test script: SCOREGATE SOURCE_DIR [--group NAME]...; runs the groups and exits."""
    argv = sys.argv[1:]
    if len(argv) < 2:
        print(doc)
        sys.exit(2)
    binary, src = os.path.abspath(argv[0]), os.path.abspath(argv[1])
    chosen = [argv[i + 1] for i, a in enumerate(argv) if a == "--group"] or list(groups)
    c = Checks()
    for name in chosen:
        c.group(name, groups[name], binary, src)
    c.finish()
