"""What the CLI tests share: running the real binary, counting checks, writing inputs.

A test calls setup(binary, prefix) once, then run(), check() and write(), and ends with
finish(), which prints the closing "N passed, N failed" line and exits non-zero on failure.
"""
import json
import os
import subprocess
import sys
import tempfile

_state = {"bin": None, "tmp": None, "passed": 0, "failed": 0}


def setup(binary, prefix):
    _state["bin"] = binary
    _state["tmp"] = tempfile.mkdtemp(prefix=prefix)
    return _state["tmp"]


def run(*args, stdin=None):
    p = subprocess.run([_state["bin"], *args], input=stdin, capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def check(name, cond, detail=""):
    if cond:
        _state["passed"] += 1
    else:
        _state["failed"] += 1
        print(f"FAIL {name}: {detail}")


def write(name, content):
    """Write text as is, or anything else as JSON, under the test's temporary folder."""
    path = os.path.join(_state["tmp"], name)
    with open(path, "w") as f:
        if isinstance(content, str):
            f.write(content)
        else:
            json.dump(content, f)
    return path


def finish():
    print(f"{_state['passed']} passed, {_state['failed']} failed")
    sys.exit(1 if _state["failed"] else 0)
