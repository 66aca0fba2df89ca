"""`ingest extract FILE... --json` and `ingest eval-extract` as a user runs them."""

import argparse
import json
from pathlib import Path

from ingest.commands import extract as cmd

FIX = Path(__file__).parents[1] / "fixtures" / "extract"


def run(argv):
    parser = argparse.ArgumentParser(prog="ingest")
    cmd.register(parser.add_subparsers())
    args = parser.parse_args(argv)
    return args.func(args)


def test_extract_json_prints_one_object_per_page(capsys):
    files = [str(FIX / "news-sapo-h2.html"), str(FIX / "portal-section-title.html")]
    assert run(["extract", *files, "--url", "https://thudo.example/a.html", "--json"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    first, second = (json.loads(x) for x in lines)
    assert first["file"] == files[0]
    assert first["title"] == "Hà Nội mở rộng mạng lưới không gian sáng tạo ven hồ"
    assert first["published"] == "2024-11-10T07:45:00+07:00"
    assert first["author"] == "Trần Minh Anh"
    assert first["lead"].startswith("Ba điểm sinh hoạt nghệ thuật")
    assert first["text"].startswith("Theo kế hoạch do Sở Văn hóa")
    assert second["author"] == "Lê Thu Hà"
    assert set(first) >= {"file", "title", "lead", "text", "published", "author"}


def test_extract_failure_sets_exit_status(tmp_path, capsys):
    bad = tmp_path / "bad.html"
    bad.write_bytes(b"%PDF-1.4 not a page")
    assert run(["extract", str(bad), "--json"]) == 1
    rec = json.loads(capsys.readouterr().out)
    assert rec["error"] == "binary content (not HTML)"


def test_eval_extract_prints_side_by_side_table(capsys):
    code = run(
        [
            "eval-extract",
            "--gold",
            str(FIX / "gold.jsonl"),
            "--html-dir",
            str(FIX),
            "--repeat",
            "1",
            "--no-overrides",
            "--check-floors",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "overrides: off (generic rules only)" in out
    pages = sum(1 for line in (FIX / "gold.jsonl").read_text(encoding="utf-8").splitlines() if line)
    assert f"fixtures ({pages} pages)" in out
    assert "metric          ours   trafilatura" in out
    assert "  title          1.000" in out
    assert "ratio" in out
    assert "baseline: trafilatura fast mode with metadata" in out
    held = sum(
        1
        for line in (FIX / "gold.jsonl").read_text(encoding="utf-8").splitlines()
        if '"holdout": true' in line
    )
    assert out.index(f"fixtures, held out ({held} pages)") < out.index(f"fixtures ({pages} pages)")
    assert "failing pages, ours: 0 (none)" in out


def test_eval_extract_lists_failing_pages(tmp_path, capsys):
    (tmp_path / "p.html").write_text(
        "<html><body><h1>Tiêu đề thật của bài</h1><p>Một đoạn văn đủ dài để là nội dung bài.</p>"
        "</body></html>",
        encoding="utf-8",
    )
    (tmp_path / "gold.jsonl").write_text(
        json.dumps(
            {
                "file": "p.html",
                "title": "Tiêu đề khác",
                "published": None,
                "author": None,
                "must_contain": ["Một đoạn văn đủ dài", "Câu không có trên trang"],
                "must_not_contain": [],
            },
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )
    code = run(["eval-extract", "--gold", str(tmp_path / "gold.jsonl"), "--repeat", "1"])
    out = capsys.readouterr().out
    assert code == 0
    assert "failing pages, ours: 1" in out
    assert "p.html: wrong title; missing 1/2: 'Câu không có trên trang'" in out


def test_a_reader_that_stops_early_ends_it_quietly():
    """`ingest extract *.html | head -1`: the pipe closes after the first line, and the command
    ends as `cat` would (status 141, SIGPIPE's), with no traceback."""
    import subprocess
    import sys

    files = [str(p) for p in sorted(FIX.glob("*.html"))] * 3
    cli = [sys.executable, "-c", "import sys; from ingest.cli import main; sys.exit(main())"]
    proc = subprocess.Popen(
        [*cli, "extract", "--json", *files], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    first = proc.stdout.readline()
    proc.stdout.close()  # the reader goes away, as `head -1` does
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141, err
    assert json.loads(first)["file"] == files[0]
    assert "Traceback" not in err and "BrokenPipeError" not in err
