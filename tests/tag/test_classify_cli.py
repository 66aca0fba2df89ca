"""`ingest classify` and `ingest eval-tags` as a user runs them."""

from __future__ import annotations

import argparse
import io
import json

from ingest.commands import classify as cmd


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="ingest")
    cmd.register(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


def test_classify_reads_json_lines_from_stdin(monkeypatch, capsys):
    lines = [
        {
            "id": "a1",
            "title": "Khai mạc Lễ hội Thiết kế sáng tạo Hà Nội",
            "text": "Sở VH&TT Hà Nội cho biết lễ hội kéo dài chín ngày.",
        },
        {"id": 7, "title": "Giá vàng giảm", "text": "Giá vàng trong nước giảm nhẹ.", "lead": ""},
    ]
    stdin = io.StringIO("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n\n")
    monkeypatch.setattr("sys.stdin", stdin)
    args = parse(["classify", "-"])
    assert args.func(args) == 0
    out = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert out == [
        {
            "id": "a1",
            "relevant": True,
            "score": 2.0,
            "initiatives": [
                {"id": "design_festival", "evidence": "Khai mạc Lễ hội Thiết kế sáng tạo Hà Nội"}
            ],
            "agencies": [
                {
                    "id": "doc_sports",
                    "evidence": "Sở VH&TT Hà Nội cho biết lễ hội kéo dài chín ngày.",
                }
            ],
        },
        {"id": 7, "relevant": False, "score": 0.0, "initiatives": [], "agencies": []},
    ]


def test_classify_details_and_bad_lines(tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    src.write_text(
        '{"id": 1, "title": "", "text": "Bảo tàng Hà Nội đặt Trung tâm Thiết kế sáng tạo Hà Nội."}\n'
        "not json\n",
        encoding="utf-8",
    )
    args = parse(["classify", str(src), "--details"])
    assert args.func(args) == 1  # one unreadable line
    captured = capsys.readouterr()
    assert "line 2: invalid JSON" in captured.err
    (rec,) = [json.loads(x) for x in captured.out.splitlines()]
    assert rec["initiatives"] == [
        {
            "id": "design_center",
            "evidence": "Bảo tàng Hà Nội đặt Trung tâm Thiết kế sáng tạo Hà Nội.",
            "field": "text",
            "start": 0,
            "end": 55,
            "rule": "alias:Trung tâm Thiết kế sáng tạo Hà Nội",
        }
    ]
    assert rec["agencies"][0]["id"] == "hanoi_museum"
    assert rec["tagger_version"].startswith("tagger-")


def test_eval_tags_passes_the_floors(capsys):
    args = parse(["eval-tags", "--quiet", "--set", "eval/tagging_set.jsonl"])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "relevance" in out and "micro (initiatives)" in out and "evidence verbatim: 1.000" in out
    assert "at or above the floors" in out and "(labelled)" in out


def test_eval_tags_prints_every_set_side_by_side(tmp_path, capsys):
    args = parse(["eval-tags", "--quiet", "--dev", str(tmp_path / "absent.jsonl")])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    head, *rest = out.splitlines()
    assert head.split()[:4] == ["set", "n", "en", "rel"]
    rows = {line.split(" (")[0]: line for line in rest if " (" in line and line[0] != " "}
    for name in ("labelled", "blind_2026-11-22", "blind_2026-12-01", "samplesites"):
        assert name in rows, name
    assert rows["labelled"].split()[2:4] == ["158", "27"]  # items, English items
    assert rows["blind_2026-12-01"].split()[2:4] == ["77", "26"]
    assert "tagging-dev" not in out  # absent: skipped, not an error
    assert "English subsets" in out and "blind_2026-12-01 English" in out
    assert "per label, precision/recall" in out and "design_festival" in out


def test_eval_tags_fails_below_a_floor(tmp_path, capsys):
    floors = tmp_path / "floors.json"
    floors.write_text('{"relevance_f1": 1.01}', encoding="utf-8")
    args = parse(["eval-tags", "--quiet", "--floors", str(floors)])
    assert args.func(args) == 1
    assert "BELOW FLOOR: relevance_f1" in capsys.readouterr().err


def test_eval_tags_broken_floors_file_is_a_clear_error(tmp_path, capsys):
    floors = tmp_path / "floors.json"
    floors.write_text('{"relevance_f1": "high"', encoding="utf-8")
    args = parse(["eval-tags", "--quiet", "--floors", str(floors)])
    assert args.func(args) == 2
    assert capsys.readouterr().err.startswith(f"error: {floors}: cannot read the floors: ")
