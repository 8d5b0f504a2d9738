"""webhook_env.py - what the section files of test_webhook.py share in one run: the binary
under test, every server started (all stopped at the end, their logs shown when a section
crashes), and the check of an HTTP error answer.
"""
import json
import os
import tempfile

from webhook_client import Server, check, write

SCOREGATE = None  # the binary; test_webhook.py sets it from its command line
servers = []


def server(config_text=None, args=(), state_dir=None, workdir=None):
    workdir = workdir or tempfile.mkdtemp(prefix="sg-webhook-")
    config = write(os.path.join(workdir, "config.yaml"), config_text) if config_text is not None else None
    s = Server(SCOREGATE, config=config, state_dir=state_dir, args=args, workdir=workdir)
    servers.append(s)
    return s.start()


def error_row(s, name, method, path, body, headers, code):
    """One bad-input row: the status, a Kubernetes Status JSON body with that code."""
    status, hdrs, data = s.request(method, path, body, headers)
    try:
        doc = json.loads(data)
    except ValueError:
        doc = {}
    check(f"{name}: HTTP {code} with a JSON Status body",
          status == code and hdrs.get("content-type", "").startswith("application/json") and
          doc.get("kind") == "Status" and doc.get("code") == code and doc.get("message"),
          f"got {status} {data[:200]!r}")
