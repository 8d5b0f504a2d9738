"""Shared helpers for the scan format tests: run the binary, run the groups
through tests/harness.py.

Every script prints "N passed, N failed" and exits non-zero when a check
failed. Checks read the output the way its consumer would (json, xml.etree,
a PNG decoder), not by comparing strings alone.
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))  # tests/: harness.py
from harness import check, run_sections  # noqa: E402,F401


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
    chosen = [argv[i + 1] for i, a in enumerate(argv) if a == "--group"]
    run_sections(groups, chosen, binary, src)
