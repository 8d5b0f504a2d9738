#!/usr/bin/env python3
"""test_layout.py - the size and layout rules of the repository, checked on every run.

Usage: test_layout.py SOURCE_DIR [--rule NAME]...   (default: every rule)

Rules (ctest `layout` runs python and c, `layout_includes` runs includes):
  python    every .py file is at most 700 lines and every Python function (methods and nested
            functions included, decorators not) at most 80
  c         every .c and .h file is at most 700 lines and every C function at most 80 (from the line
            that starts its signature to its closing brace)
  includes  no test or fuzz target includes a module's private header by relative path
            ("../../policy/src/x.h"): tests use the public headers or a module's testing/ header;
            no module's .c file calls json_dumps (its text would come from the arena hooks, which
            free() must not see: sg_json_dumps)

What is walked: the repository's own source (build folders, .git, .cache and the fuzz corpora are
left out). Every offender is reported as FILE:LINE with its size; the counts close the output.
"""
import ast
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))  # tests/: harness.py
import harness  # noqa: E402
from harness import check  # noqa: E402

MAX_FILE_LINES = 700
MAX_FUNCTION_LINES = 80
SKIP_DIRS = {".git", ".cache", "node_modules", "__pycache__"}
SKIP_PATHS = {os.path.join("tests", "fuzz", "corpus")}
PRIVATE_INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]*\.\./[^"]*/src/[^"]*)"')


def source_files(root, exts):
    """Relative paths of the repository's files ending in one of `exts`, in a stable order."""
    out = []
    for here, dirs, files in os.walk(root):
        rel_here = os.path.relpath(here, root)
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not (rel_here == "." and d.startswith("build"))
                         and os.path.normpath(os.path.join(rel_here, d)) not in SKIP_PATHS)
        out += [os.path.normpath(os.path.join(rel_here, f)) for f in sorted(files) if f.endswith(exts)]
    return out


def read_lines(root, rel):
    with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as f:
        return f.read().split("\n")


def long_files(root, files):
    out = []
    for rel in files:
        lines = read_lines(root, rel)
        n = len(lines) - (1 if lines and lines[-1] == "" else 0)
        if n > MAX_FILE_LINES:
            out.append(f"{rel}:1: {n} lines (most {MAX_FILE_LINES})")
    return out


def python_functions(root, rel):
    """(name, first line, length) of every function and method of a Python file."""
    with open(os.path.join(root, rel), encoding="utf-8") as f:
        tree = ast.parse(f.read(), rel)
    return [(n.name, n.lineno, n.end_lineno - n.lineno + 1) for n in ast.walk(tree)
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


def c_functions(lines):
    """(name, first line, length) of every function definition of a C file in the project's style:
    the body's braces alone on a line at column 0, the signature above the opening one."""
    out = []
    i = 0
    while i < len(lines):
        if lines[i] != "{":
            i += 1
            continue
        start = i - 1
        while start > 0 and lines[start] and lines[start][0] in " \t":  # continued signature lines
            start -= 1
        signature = " ".join(lines[start:i])
        end = i + 1
        while end < len(lines) and not lines[end].startswith("}"):
            end += 1
        name = re.search(r"(\w+)\s*\(", signature)
        if name and not signature.lstrip().startswith(("struct", "enum", "union", "typedef", "#")):
            out.append((name.group(1), start + 1, end - start + 1))
        i = end + 1
    return out


def long_functions(root, files, find):
    out = []
    for rel in files:
        for name, line, n in find(root, rel):
            if n > MAX_FUNCTION_LINES:
                out.append(f"{rel}:{line}: {name}() is {n} lines (most {MAX_FUNCTION_LINES})")
    return out


def private_includes(root):
    out = []
    for rel in source_files(os.path.join(root, "tests"), (".c", ".h", ".cc")):
        for no, line in enumerate(read_lines(os.path.join(root, "tests"), rel), 1):
            m = PRIVATE_INCLUDE.match(line)
            if m:
                out.append(f"tests/{rel}:{no}: includes the private header {m.group(1)}")
    return out


MODULES = ("base", "doc", "policy", "scoring", "certs", "kube", "webhook", "cli")
JSON_DUMPS = re.compile(r"\bjson_dumps\s*\(")


def json_dumps_calls(root):
    """Calls of json_dumps in the modules' .c files: its text comes from jansson's allocator, the
    arena hooks in the binary, which free() must not see (sg_json_dumps writes malloc'd text)."""
    out = []
    for module in MODULES:
        for rel in source_files(os.path.join(root, module), (".c",)):
            for no, line in enumerate(read_lines(os.path.join(root, module), rel), 1):
                code = line.split("//")[0]
                if JSON_DUMPS.search(code) and not code.lstrip().startswith(("*", "/*")):
                    out.append(f"{module}/{rel}:{no}: calls json_dumps (use sg_json_dumps)")
    return out


def report(name, offenders):
    check(name, not offenders, "\n     ".join(offenders))


def rule_python(root):
    files = source_files(root, (".py",))
    check("the walk finds the Python files (tests/harness.py among them)",
          os.path.join("tests", "harness.py") in files, files[:5])
    report(f"no Python file over {MAX_FILE_LINES} lines ({len(files)} files)", long_files(root, files))
    report(f"no Python function over {MAX_FUNCTION_LINES} lines",
           long_functions(root, files, python_functions))


def rule_c(root):
    files = source_files(root, (".c", ".h"))
    found = sum(len(c_functions(read_lines(root, rel))) for rel in files)
    check("the walk finds the C files and their functions", len(files) > 50 and found > 500,
          f"{len(files)} files, {found} functions")
    report(f"no C file over {MAX_FILE_LINES} lines ({len(files)} files)", long_files(root, files))
    report(f"no C function over {MAX_FUNCTION_LINES} lines ({found} functions)",
           long_functions(root, files, lambda r, rel: c_functions(read_lines(r, rel))))


def rule_includes(root):
    report("no test or fuzz target includes a private header by relative path", private_includes(root))
    report("no module calls json_dumps (docs/architecture.md, the request arena)", json_dumps_calls(root))


RULES = {"python": rule_python, "c": rule_c, "includes": rule_includes}

if __name__ == "__main__":
    if len(sys.argv) < 2:
        print(__doc__)
        sys.exit(2)
    chosen = [sys.argv[i + 1] for i, a in enumerate(sys.argv) if a == "--rule"]
    harness.run_sections(RULES, chosen, os.path.abspath(sys.argv[1]))
