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
