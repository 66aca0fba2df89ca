"""Each kind of broken sources.yaml stops with a message naming the file, the entry and the problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.config import ConfigError, load_sources

REPO = Path(__file__).resolve().parents[1]
GOOD = """sources:
  - id: demo
    name: Demo
    kind: news
    home: http://127.0.0.1:8101/
    feeds: [http://127.0.0.1:8101/rss.xml]
"""


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "sources.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def problems(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as exc:
        load_sources(write(tmp_path, text))
    msg = str(exc.value)
    assert msg.startswith(str(tmp_path / "sources.yaml"))
    return msg


def test_minimal_loopback_source_gets_polite_defaults(tmp_path):
    cfg = load_sources(write(tmp_path, GOOD))
    src = cfg.get("demo")
    # the README's promise (issue 12 made the code agree): 2 s and one connection per host
    assert src.politeness.min_delay == 2.0 and src.politeness.concurrency == 1
    assert src.scope_hosts() == {"127.0.0.1:8101"}
    assert "HanoiCreativeKB" in cfg.user_agent


def test_bad_yaml(tmp_path):
    msg = problems(tmp_path, "sources:\n  - id: x\n   name: y\n")
    assert msg.startswith(str(tmp_path / "sources.yaml") + ": invalid YAML at line 3, column 4: ")
    # libyaml's wording ("did not find expected '-' indicator") or PyYAML's ("expected <block end>")
    assert "expected" in msg.split("column 4: ", 1)[1]


def test_unknown_key(tmp_path):
    msg = problems(tmp_path, GOOD + "    feeeds: []\n")
    assert "sources[0] (id: demo): unknown key 'feeeds'" in msg


def test_duplicate_id(tmp_path):
    body = GOOD.split("\n", 1)[1]
    msg = problems(tmp_path, GOOD + body)
    assert "sources[1] (id: demo): duplicate id, first used by sources[0]" in msg


def test_invalid_url(tmp_path):
    msg = problems(tmp_path, GOOD.replace("http://127.0.0.1:8101/rss.xml", "ftp:/rss"))
    assert "sources[0] (id: demo) field feeds: invalid URL 'ftp:/rss'" in msg


def test_missing_field_and_no_discovery(tmp_path):
    msg = problems(tmp_path, "sources:\n  - id: x\n    kind: news\n    home: http://a.test/\n")
    assert "sources[0] (id: x): missing required field 'name'" in msg
    msg = problems(tmp_path, "sources:\n  - {id: x, name: X, kind: news, home: 'http://a.test/'}\n")
    assert "needs at least one of feeds, sitemaps, listings or search" in msg


def test_bad_kind_and_regex(tmp_path):
    msg = problems(
        tmp_path, GOOD.replace("kind: news", "kind: blog") + "    article_pattern: '(['\n"
    )
    assert "field kind: Input should be 'news', 'government', 'party' or 'international'" in msg
    assert "field article_pattern: invalid regular expression" in msg


def test_repository_sources_file_is_valid():
    cfg = load_sources(REPO / "sources.yaml")
    assert {"nhandan", "vietnamplus", "hanoimoi", "sovhtt_hanoi"} <= {s.id for s in cfg.sources}
    assert not cfg.get("laodong").enabled


def test_sources_inherit_default_politeness_field_by_field(tmp_path):
    text = (
        "defaults:\n  politeness: {min_delay: 5, timeout: 9}\n"
        + GOOD
        + (
            "  - id: other\n    name: O\n    kind: government\n    home: http://127.0.0.1:8102/\n"
            "    feeds: [http://127.0.0.1:8102/rss.xml]\n    politeness: {min_delay: 0.5}\n"
        )
    )
    cfg = load_sources(write(tmp_path, text))
    assert (cfg.get("demo").politeness.min_delay, cfg.get("demo").politeness.timeout) == (5, 9)
    assert (cfg.get("other").politeness.min_delay, cfg.get("other").politeness.timeout) == (0.5, 9)
    assert cfg.get("other").politeness.concurrency == 1  # built-in default where nobody set it
