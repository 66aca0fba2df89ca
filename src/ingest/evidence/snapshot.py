"""An article's archived copy saved as files to attach to a dossier: HTML, PDF and provenance.

`ingest archive ID --save DIR` writes
- `article-<id>.html`: the page exactly as fetched (content-decoded, in its own charset);
- `article-<id>.pdf`: that page printed by headless Chromium, when Chromium is installed, with
  a banner saying what it is (URL, fetch date, SHA-256, archive link);
- `article-<id>.json`: the provenance (URL, fetch time, WARC record, hashes of both files).

The PDF is printed from a copy that cannot run or fetch anything: a Content-Security-Policy
allowing no script and no network is put first in the page, and Chromium is given a dead proxy,
so printing an archived page never runs the outlet's scripts or calls its trackers. (Chromium's
own switches for this do not work with printing: `--blink-settings=scriptEnabled=false` makes
no PDF, `--disable-javascript` is not a switch.) The HTML file is left untouched.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from html import escape
from pathlib import Path

import sqlite_utils

from ..crawl.content import decode_body
from .citation import archive_url
from .period import format_date_vi
from .provenance import archived_copy

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
PDF_TIMEOUT_S = 90
OFFLINE_CSP = (
    '<meta http-equiv="Content-Security-Policy" '
    "content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:\">"
)
_DOCTYPE = re.compile(rb"\s*(?:\xef\xbb\xbf)?\s*<!doctype[^>]*>", re.I)


@dataclass
class SavedCopy:
    html: Path
    provenance: Path
    pdf: Path | None
    pdf_problem: str | None  # why no PDF was made


def find_chromium() -> str | None:
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def offline_copy(body: bytes, banner: str) -> bytes:
    """The page with the no-script, no-network policy before anything else, and a banner.

    The policy goes first (after a doctype, if any), so no script of the page comes before it;
    the parser moves a leading <meta> into <head> itself.
    """
    note = (
        '<div style="font:11px/1.4 sans-serif;border:1px solid #999;background:#f4f4f4;'
        f'padding:4px 8px;margin:0 0 8px">{escape(banner)}</div>'
    ).encode()
    csp = OFFLINE_CSP.encode()
    doctype = _DOCTYPE.match(body)
    cut = doctype.end() if doctype else 0
    page = body[:cut] + csp + body[cut:]
    body_tag = re.search(rb"<body[^>]*>", page, re.I)
    if body_tag:
        return page[: body_tag.end()] + note + page[body_tag.end() :]
    return page + note


def print_pdf(chromium: str, html_path: Path, pdf_path: Path) -> str | None:
    """Print a local HTML file to PDF with headless Chromium; None, or why it failed."""
    with tempfile.TemporaryDirectory(prefix="kb-chromium-") as profile:
        cmd = [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--proxy-server=127.0.0.1:9",  # nothing the policy misses reaches the network
            f"--user-data-dir={profile}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf_path}",
            html_path.resolve().as_uri(),
        ]
        try:
            done = subprocess.run(cmd, capture_output=True, timeout=PDF_TIMEOUT_S, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"chromium failed: {exc}"
    if not pdf_path.is_file() or not pdf_path.read_bytes().startswith(b"%PDF"):
        err = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
        return f"chromium made no PDF (exit {done.returncode}: {err[0]})"
    return None


def save_archived_copy(
    db: sqlite_utils.Database,
    article_id: int,
    raw_dir: str | Path,
    out_dir: str | Path,
    *,
    base_url: str,
    chromium: str | None = None,
    pdf: bool = True,
) -> SavedCopy:
    """Write the archived page of one article into `out_dir` (see the module docstring)."""
    prov, copy = archived_copy(db, article_id, raw_dir)
    body = decode_body(copy.raw_body, copy.headers)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    html_path = out / f"article-{article_id}.html"
    html_path.write_bytes(body)
    link = archive_url(base_url, article_id)
    archived_sha = hashlib.sha256(copy.raw_body).hexdigest()
    pdf_path: Path | None = None
    problem: str | None = None
    if pdf:
        browser = chromium or find_chromium()
        if browser is None:
            problem = "chromium not installed (scripts/install-browser.sh): no PDF made"
        else:
            banner = (
                f"Bản lưu trữ / Archived copy: {prov.url} — thu thập / fetched"
                f" {format_date_vi(prov.fetched_at)} — SHA-256 {archived_sha} — {link}"
            )
            with tempfile.TemporaryDirectory(prefix="kb-print-") as tmp:
                page = Path(tmp) / "page.html"
                page.write_bytes(offline_copy(body, banner))
                target = out / f"article-{article_id}.pdf"
                problem = print_pdf(browser, page, target)
                pdf_path = None if problem else target
    meta = {
        **prov.as_dict(),
        "archive_url": link,
        "http_headers": copy.headers,
        "archived_body_sha256": archived_sha,
        "matches_recorded_sha256": archived_sha == prov.raw_sha256,
        "html_file": html_path.name,
        "html_file_sha256": hashlib.sha256(body).hexdigest(),
        "pdf_file": pdf_path.name if pdf_path else None,
        "pdf_problem": problem,
    }
    json_path = out / f"article-{article_id}.json"
    json_path.write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
    return SavedCopy(html_path, json_path, pdf_path, problem)
