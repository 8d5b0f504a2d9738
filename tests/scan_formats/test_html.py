#!/usr/bin/env python3
"""`scan -f html` rendered by headless Chromium, as a person would open it.

usage: test_html.py SCOREGATE SOURCE_DIR

Checks: the page is self-contained (no script, stylesheet, image, font or
frame from anywhere, no http(s) reference in src/href/url()); Chromium renders
it to a 1280x2000 PNG that is not blank (decoded here with zlib: many colours,
the card and background colours, the gauge's colour); Chromium's --dump-dom
shows every resource, finding and remediation; markup in names stays text
(no element injected); the score gauge, control bars and findings summary
appear when the report has them.
"""
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from scanlib import check, scan  # noqa: E402
import harness  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "fixtures")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]


def chromium_binary():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def chromium(binary, url, *extra):
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run([binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *extra, url],
                              capture_output=True, timeout=180)


def decode_png(data):
    """(width, height, rows of RGB(A) bytes) of an 8-bit RGB or RGBA PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, ihdr = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    width, height, depth, ctype, _, _, interlace = ihdr
    assert depth == 8 and ctype in (2, 6) and interlace == 0, f"unsupported PNG {ihdr}"
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if f == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif f == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, prev))
        elif f == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
        elif f == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                cc = prev[i - bpp] if i >= bpp else 0
                p = a + b - cc
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - cc)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else cc)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, bpp, rows


def pixel_stats(width, height, bpp, rows):
    colours, counts = set(), {}
    for row in rows:
        for x in range(0, width * bpp, bpp * 2):   # every other pixel is plenty
            px = row[x:x + 3]
            colours.add(px)
            counts[px] = counts.get(px, 0) + 1
    return colours, counts


def near(counts, rgb, tol=12):
    return sum(n for px, n in counts.items() if all(abs(px[i] - rgb[i]) <= tol for i in range(3)))


def check_self_contained(html, what):
    check(f"{what}: a complete HTML document", html.startswith("<!DOCTYPE html>"))
    for pattern, desc in [(r"<script", "script"), (r"<link", "link"), (r"<img", "img"), (r"<iframe", "iframe"),
                          (r"@import", "@import"), (r"url\(", "url()"), (r"@font-face", "font-face"),
                          (r"(?:src|href)\s*=\s*[\"']?\s*(?:https?:)?//", "src/href to a network URL")]:
        check(f"{what}: no {desc}", not re.search(pattern, html, re.I))
    check(f"{what}: no http:// or https:// anywhere", not re.search(r"https?://", html))


def html_report(binary, src, tmp):
    careless = os.path.join(src, "examples", "careless-deployment.yaml")
    page = os.path.join(tmp, "report.html")
    p = scan(binary, "-f", "html", "-o", page, careless, os.path.join(FIX, "mixed.yaml"),
             "-c", os.path.join(FIX, "policy.yaml"))
    check(f"html: exit 1 with denials, got {p.returncode}: {p.stderr}", p.returncode == 1)
    with open(page, encoding="utf-8") as f:
        html = f.read()
    check_self_contained(html, "html")
    doc = json.loads(scan(binary, "-f", "json", careless, os.path.join(FIX, "mixed.yaml"),
                          "-c", os.path.join(FIX, "policy.yaml")).stdout)
    return page, html, doc


def html_screenshot(browser, tmp, page):
    # Screenshot: right size, not blank, the page's colours are there.
    png = os.path.join(tmp, "shot.png")
    r = chromium(browser, "file://" + page, f"--screenshot={png}", "--window-size=1280,2000")
    check(f"html: screenshot taken: {r.stderr[-400:]!r}", r.returncode == 0 and os.path.exists(png))
    with open(png, "rb") as f:
        data = f.read()
    width, height, bpp, rows = decode_png(data)
    check(f"html: screenshot is 1280x2000, got {width}x{height}", (width, height) == (1280, 2000))
    colours, counts = pixel_stats(width, height, bpp, rows)
    total = sum(counts.values())
    check(f"html: not blank ({len(colours)} distinct colours)", len(colours) >= 100)
    background = near(counts, (0xf3, 0xf4, 0xf6), 2)
    check(f"html: page background present ({background / total:.2%})", 0.02 < background / total < 0.9)
    check("html: white cards cover the page", near(counts, (255, 255, 255), 1) / total > 0.2)
    gauge = max(near(counts, rgb, 16) for rgb in ((0xdc, 0x26, 0x26), (0xd9, 0x77, 0x06), (0x16, 0xa3, 0x4a)))
    check(f"html: the gauge and status colours are drawn ({gauge} pixels)", gauge > 300)
    top = rows[:400]
    tc, tcounts = pixel_stats(width, 400, bpp, top)
    check("html: the gauge track is in the top area", len(tc) > 30 and near(tcounts, (0xe5, 0xe7, 0xeb), 4) > 200)


def html_dom(browser, page, doc):
    # DOM as Chromium parsed it: every resource, unhealthy finding and remediation shown.
    r = chromium(browser, "file://" + page, "--dump-dom")
    dom = r.stdout.decode("utf-8", "replace")
    check("html: --dump-dom returns the page", r.returncode == 0 and "<main>" in dom)
    for res in doc["resources"]:
        check(f"html: resource {res['kind']}/{res['name']} shown", f">{res['kind']}<" in dom and res["name"] in dom)
        for f in res["findings"]:
            if f["status"] == "unhealthy":
                check(f"html: {f['recommendation']} and its remediation shown",
                      f["recommendation"] in dom and f["remediation"] in dom)
                check(f"html: message of {f['recommendation']} shown",
                      f["message"].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in dom)
    check("html: denied findings marked", dom.count("pill deny") >= 2)
    score = doc.get("score") or {}
    if isinstance(score.get("percent"), (int, float)):
        check("html: score gauge with the percent", "secure score" in dom and f"{score['percent']:.2f}%" in dom)
    else:
        check("html: findings summary gauge without a score", "checks pass" in dom)
    for ctl in score.get("controls", []):
        check(f"html: control bar {ctl['id']}", ctl["name"] in dom)


def html_escaping(binary, browser, tmp):
    # Markup in names stays text: no element injected, the text is intact.
    page2 = os.path.join(tmp, "escape.html")
    p = scan(binary, "-f", "html", "-o", page2, os.path.join(FIX, "escape.yaml"))
    check("html: escape fixture renders", p.returncode == 0)
    with open(page2, encoding="utf-8") as f:
        check_self_contained(f.read(), "html escape")
    r = chromium(browser, "file://" + page2, "--dump-dom")
    dom = r.stdout.decode("utf-8", "replace")
    check("html: no element injected from names", "<script" not in dom and "<b>&amp;" not in dom)
    check("html: names shown as text",
          "x&lt;&amp;&gt;\"'y" in dom and "ns&lt;script&gt;alert(1)&lt;/script&gt;" in dom)


def html_prediction(binary, browser, src, tmp, html):
    careless = os.path.join(src, "examples", "careless-deployment.yaml")
    # With --baseline (a previous scan's JSON): the predicted before/after and changed controls.
    base = os.path.join(tmp, "baseline.json")
    with open(base, "w") as f:
        f.write(scan(binary, "-f", "json", careless).stdout)
    hardened = os.path.join(src, "examples", "hardened-deployment.yaml")
    pred = json.loads(scan(binary, "-f", "json", "--baseline", base, hardened).stdout).get("prediction")
    page4 = os.path.join(tmp, "prediction.html")
    p = scan(binary, "-f", "html", "-o", page4, "--baseline", base, hardened)
    r = chromium(browser, "file://" + page4, "--dump-dom")
    dom = r.stdout.decode("utf-8", "replace")
    check(f"html: --baseline scan: {p.stderr}", p.returncode == 0 and isinstance(pred, dict))
    if isinstance(pred, dict):
        check("html: predicted before and after shown",
              "Predicted change" in dom and f"{pred['after']:.2f}%" in dom and f"{pred['before']:.2f}%" in dom)
        check("html: predicted delta shown", f"{pred['delta']:+.2f}" in dom)
        for ctl in pred["controls"]:
            check(f"html: control change {ctl['id']}", f"{ctl['id']} &middot; before {ctl['before']:.2f} pts" in dom or
                  f"{ctl['id']} · before {ctl['before']:.2f} pts" in dom)
    check("html: no prediction without --baseline", "Predicted change" not in html)


def html_excluded_and_healthy(binary, browser, src, tmp):
    # An object in an excluded namespace is listed as not evaluated.
    page5 = os.path.join(tmp, "excluded.html")
    p = scan(binary, "-f", "html", "-o", page5, os.path.join(FIX, "excluded.yaml"))
    dom = chromium(browser, "file://" + page5, "--dump-dom").stdout.decode("utf-8", "replace")
    check("html: excluded namespace shown as not evaluated",
          p.returncode == 0 and "Namespace excluded globally: not evaluated." in dom and "kube-proxy-x" in dom)

    # A healthy report: the gauge is full and nothing is denied.
    page3 = os.path.join(tmp, "healthy.html")
    p = scan(binary, "-f", "html", "-o", page3, os.path.join(src, "examples", "hardened-deployment.yaml"))
    r = chromium(browser, "file://" + page3, "--dump-dom")
    dom = r.stdout.decode("utf-8", "replace")
    check("html: healthy report",
          p.returncode == 0 and "Every applicable check passes." in dom and "pill deny" not in dom)

def main():
    if len(sys.argv) != 3:
        print(__doc__)
        sys.exit(2)
    binary, src = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    browser = chromium_binary()
    check("chromium is installed (scripts/deps)", browser is not None)
    if not browser:
        harness.finish()
    with tempfile.TemporaryDirectory() as tmp:
        page, html, doc = html_report(binary, src, tmp)
        html_screenshot(browser, tmp, page)
        html_dom(browser, page, doc)
        html_escaping(binary, browser, tmp)
        html_prediction(binary, browser, src, tmp, html)
        html_excluded_and_healthy(binary, browser, src, tmp)
    harness.finish()


if __name__ == "__main__":
    main()
