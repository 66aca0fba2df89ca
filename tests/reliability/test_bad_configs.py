"""Issue 13, finding 8: every bad config stops `ingest run` with exit code 2 and one line.

Each case is a sources.yaml (or taxonomy.yaml) with exactly one mistake, run through the real
command line (`ingest.cli.main`, in this process: the same code path as the console script,
without paying an interpreter start per case; `test_the_console_script_says_the_same` runs a
few through a subprocess). The line must name the file and the problem, there must be no
traceback, and nothing is written (no database is created).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import REPO, TAXONOMY

from ingest.cli import main

SOURCE = """\
  - id: thudo
    name: Báo Thủ Đô
    kind: news
    home: https://thudo.example/
    feeds: [https://thudo.example/rss.xml]
"""
OTHER = """\
  - id: dothi
    name: Đô thị
    kind: news
    home: https://dothi.example/
    sitemaps: [https://dothi.example/sitemap.xml]
"""


def src(extra: str = "", *, head: str = "", entry: str = SOURCE, more: str = "") -> str:
    return head + "sources:\n" + entry + extra + more


# (case id, sources.yaml text, a fragment the one line must contain)
BAD_SOURCES = [
    # --- the 14 gaps of the attack (plus the traceback): accepted or crashing before
    (
        "port-out-of-range",
        src().replace("thudo.example/\n", "thudo.example:99999/\n", 1),
        "field home: invalid URL 'https://thudo.example:99999/' (Port out of range 0-65535)",
    ),
    (
        "file-search-url",
        src("    search: {url: 'file:///etc/passwd?q={query}'}\n"),
        "field search.url: invalid URL 'file:///etc/passwd?q=1' (needs http:// or https://",
    ),
    (
        "page-url-typo",
        src(
            "    listings: [{url: 'https://thudo.example/vh', page_url: "
            "'https://thudo.example/vh/trang-{pg}'}]\n"
        ),
        "unknown placeholder {pg} (use {page})",
    ),
    (
        "search-url-typo",
        src("    search: {url: 'https://thudo.example/tim?q={querry}'}\n"),
        "unknown placeholder {querry} (use {query}, {page})",
    ),
    (
        "duplicate-key",
        src("    feeds: [https://thudo.example/khac.xml]\n"),
        "invalid YAML at line 7, column 5: duplicate key 'feeds' (first at line 6)",
    ),
    (
        "host-with-path",
        src("    hosts: [thudo.example/tin]\n"),
        "host 'thudo.example/tin' must be a bare host name or host:port",
    ),
    ("host-empty", src("    hosts: ['']\n"), "field hosts: empty host"),
    (
        "hook-unknown-module",
        src("    hook: 'ingest_hooks_nowhere.thudo:fix'\n"),
        "hook 'ingest_hooks_nowhere.thudo:fix': cannot import 'ingest_hooks_nowhere.thudo'",
    ),
    (
        "css-invalid",
        src("    extract: {body: 'div.noi-dung['}\n"),
        "field extract.body: invalid CSS selector 'div.noi-dung['",
    ),
    (
        "user-agent-crlf",
        src(head='defaults: {user_agent: "Bot\\r\\nX-Evil: 1"}\n'),
        "cannot be sent as an HTTP header (character '\\r'",
    ),
    (
        "user-agent-placeholder",
        src(head="defaults: {user_agent: 'Bot {foo}'}\n"),
        "user_agent 'Bot {foo}': unknown placeholder {foo} (only {contact})",
    ),
    # --- URLs and templates
    ("port-zero", src().replace("thudo.example/\n", "thudo.example:0/\n", 1), "(port 0)"),
    (
        "port-not-a-number",
        src().replace("thudo.example/\n", "thudo.example:http/\n", 1),
        "invalid URL 'https://thudo.example:http/'",
    ),
    ("feed-with-space", src().replace("rss.xml", "tin moi.xml"), "(contains a space;"),
    (
        "feed-control-char",
        src()
        .replace("rss.xml", "rss\\u0001.xml")
        .replace(
            "[https://thudo.example/rss\\u0001.xml]", '["https://thudo.example/rss\\u0001.xml"]'
        ),
        "(contains a control character;",
    ),
    (
        "feed-broken-ipv6",
        src().replace("https://thudo.example/rss.xml", "'http://[oops/rss'"),
        "invalid URL 'http://[oops/rss' (Invalid IPv6 URL)",
    ),
    (
        "home-no-scheme",
        src().replace("home: https://thudo.example/", "home: thudo.example"),
        "field home: invalid URL 'thudo.example' (needs http:// or https:// and a host)",
    ),
    (
        "sitemap-ftp",
        src("    sitemaps: ['ftp://thudo.example/sitemap.xml']\n"),
        "field sitemaps: invalid URL 'ftp://thudo.example/sitemap.xml'",
    ),
    (
        "backfill-sitemap-data",
        src("    backfill_sitemaps: ['data:text/xml,<urlset/>']\n"),
        "field backfill_sitemaps: invalid URL",
    ),
    (
        "listing-javascript",
        src("    listings: [{url: 'javascript:alert(1)'}]\n"),
        "field listings.0.url: invalid URL 'javascript:alert(1)'",
    ),
    (
        "search-without-query",
        src("    search: {url: 'https://thudo.example/tim?page={page}'}\n"),
        "needs the placeholder {query}",
    ),
    (
        "page-url-without-page",
        src(
            "    listings: [{url: 'https://thudo.example/vh', page_url: "
            "'https://thudo.example/vh/trang-2'}]\n"
        ),
        "needs the placeholder {page}",
    ),
    (
        "page-url-conversion",
        src(
            "    listings: [{url: 'https://thudo.example/vh', page_url: "
            "'https://thudo.example/vh/{page!r}'}]\n"
        ),
        "write the placeholder as {page}, bare",
    ),
    (
        "page-url-format-spec",
        src(
            "    listings: [{url: 'https://thudo.example/vh', page_url: "
            "'https://thudo.example/vh/{page:>5}'}]\n"
        ),
        "write the placeholder as {page}, bare",
    ),
    (
        "page-url-unbalanced",
        src(
            "    listings: [{url: 'https://thudo.example/vh', page_url: "
            "'https://thudo.example/vh/{page'}]\n"
        ),
        "expected '}' before end of string",
    ),
    (
        "search-url-positional",
        src("    search: {url: 'https://thudo.example/tim?q={query}&p={}'}\n"),
        "unknown placeholder {}",
    ),
    # --- hosts
    ("host-with-scheme", src("    hosts: ['https://thudo.example']\n"), "must be a bare host"),
    ("host-port-range", src("    hosts: ['thudo.example:70000']\n"), "port must be 1-65535"),
    ("host-user", src("    hosts: ['ai@thudo.example']\n"), "must be a bare host"),
    ("host-bad-label", src("    hosts: ['-thudo.example']\n"), "must be a bare host"),
    # --- hooks
    ("hook-no-colon", src("    hook: ingest.stages\n"), "must be 'package.module:function'"),
    (
        "hook-missing-function",
        src("    hook: 'ingest.stages:no_such_hook'\n"),
        "module 'ingest.stages' has no 'no_such_hook'",
    ),
    (
        "hook-not-callable",
        src("    hook: 'ingest.stages:PAGE_DATE_SOURCES'\n"),
        "'PAGE_DATE_SOURCES' is not a function",
    ),
    # --- selectors and phrases
    (
        "css-pseudo-element",
        src("    extract: {title: 'h1::before'}\n"),
        "field extract.title: invalid CSS selector 'h1::before'",
    ),
    (
        "css-dangling-combinator",
        src("    extract: {drop: ['div.quang-cao >']}\n"),
        "invalid CSS selector 'div.quang-cao >'",
    ),
    (
        "css-empty-alternative",
        src("    extract: {author: 'span.tac-gia,'}\n"),
        "invalid CSS selector 'span.tac-gia,'",
    ),
    (
        "drop-phrase-empty",
        src("    extract: {drop_phrases: ['  ']}\n"),
        "empty phrase (it would drop every paragraph)",
    ),
    ("extract-unknown-key", src("    extract: {bodyy: div.noi-dung}\n"), "unknown key 'bodyy'"),
    # --- defaults
    (
        "user-agent-non-ascii",
        src(head="defaults: {user_agent: 'Bot Thủ đô {contact}'}\n"),
        "(character 'ủ'; printable ASCII only)",
    ),
    (
        "user-agent-unbalanced",
        src(head="defaults: {user_agent: 'Bot {contact'}\n"),
        "user_agent 'Bot {contact': expected '}' before end of string",
    ),
    (
        "contact-newline",
        src(head='defaults: {contact: "a@b.example\\nX: y"}\n'),
        "contact 'a@b.example\\nX: y' cannot be sent as an HTTP header",
    ),
    (
        "bad-default-once",
        src(head="defaults: {politeness: {min_delay: -1}}\n", more=OTHER),
        "defaults.politeness.min_delay: Input should be greater than or equal to 0",
    ),
    (
        "global-concurrency-zero",
        src(head="defaults: {global_concurrency: 0}\n"),
        "defaults.global_concurrency: Input should be greater than or equal to 1",
    ),
    # --- politeness
    (
        "timeout-infinite",
        src("    politeness: {timeout: .inf}\n"),
        "field politeness.timeout: Input should be a finite number",
    ),
    (
        "min-delay-nan",
        src("    politeness: {min_delay: .nan}\n"),
        "field politeness.min_delay: Input should be a finite number",
    ),
    (
        "concurrency-zero",
        src("    politeness: {concurrency: 0}\n"),
        "field politeness.concurrency: Input should be greater than or equal to 1",
    ),
    (
        "retries-too-many",
        src("    politeness: {retries: 99}\n"),
        "field politeness.retries: Input should be less than or equal to 10",
    ),
    (
        "min-delay-text",
        src("    politeness: {min_delay: fast}\n"),
        "field politeness.min_delay: Input should be a valid number",
    ),
    ("politeness-unknown", src("    politeness: {delay: 2}\n"), "unknown key 'delay'"),
    # --- patterns and walkers
    (
        "article-pattern-regex",
        src("    article_pattern: '-post(\\d+.html$'\n"),
        "field article_pattern: invalid regular expression",
    ),
    (
        "next-pattern-regex",
        src("    listings: [{url: 'https://thudo.example/vh', next_pattern: '[trang'}]\n"),
        "field listings.0.next_pattern: invalid regular expression",
    ),
    (
        "search-pattern-regex",
        src("    search: {url: 'https://thudo.example/tim?q={query}', article_pattern: '(?P<'}\n"),
        "field search.article_pattern: invalid regular expression",
    ),
    (
        "search-no-queries",
        src("    search: {url: 'https://thudo.example/tim?q={query}', queries: []}\n"),
        "field search.queries: List should have at least 1 item",
    ),
    (
        "search-empty-query",
        src("    search: {url: 'https://thudo.example/tim?q={query}', queries: ['']}\n"),
        "field search.queries: empty query",
    ),
    (
        "listing-max-pages-zero",
        src("    listings: [{url: 'https://thudo.example/vh', max_pages: 0}]\n"),
        "field listings.0.max_pages: Input should be greater than or equal to 1",
    ),
    (
        "sitemap-recheck-negative",
        src("    sitemap_recheck: -1\n"),
        "field sitemap_recheck: Input should be greater than or equal to 0",
    ),
    # --- the entry itself
    ("kind-invalid", src().replace("kind: news", "kind: blog"), "field kind: Input should be"),
    ("id-uppercase", src().replace("id: thudo", "id: ThuDo"), "field id: String should match"),
    ("id-duplicate", src(more=SOURCE), "sources[1] (id: thudo): duplicate id, first used by"),
    ("unknown-key", src("    feeeds: []\n"), "sources[0] (id: thudo): unknown key 'feeeds'"),
    ("missing-name", src().replace("    name: Báo Thủ Đô\n", ""), "missing required field 'name'"),
    ("name-blank", src().replace("name: Báo Thủ Đô", "name: '  '"), "field name: empty name"),
    (
        "no-discovery",
        src().replace("    feeds: [https://thudo.example/rss.xml]\n", ""),
        "needs at least one of feeds, sitemaps, listings or search",
    ),
    (
        "enabled-maybe",
        src("    enabled: maybe\n"),
        "field enabled: Input should be a valid boolean",
    ),
    ("language-name", src("    language: Vietnamese\n"), "field language: String should match"),
    # --- the file
    ("sources-empty", "sources: []\n", "'sources' must be a non-empty list"),
    ("sources-mapping", "sources: {thudo: 1}\n", "'sources' must be a non-empty list"),
    ("top-level-list", "- id: thudo\n", "top level must be a mapping with a 'sources:' list"),
    ("yaml-syntax", "sources:\n  - id: thudo\n   name: x\n", "invalid YAML at line 3"),
    ("duplicate-top-key", src(more="sources: []\n"), "duplicate key 'sources' (first at line 1)"),
]

TAX = yaml.safe_load(TAXONOMY.read_text(encoding="utf-8"))


def taxonomy_with_alias(alias: str) -> str:
    raw = {**TAX, "initiatives": [dict(i) for i in TAX["initiatives"]]}
    raw["initiatives"][0]["aliases"] = [*raw["initiatives"][0].get("aliases", []), alias]
    return yaml.safe_dump(raw, allow_unicode=True, sort_keys=False)


FIRST = TAX["initiatives"][0]["id"]
BAD_TAXONOMIES = [
    (
        "alias-punctuation",
        taxonomy_with_alias("!!! ..."),
        f"initiatives[0] (id: {FIRST}) field aliases: alias '!!! ...' has no letter",
    ),
    ("alias-regex", taxonomy_with_alias("(.*)"), "alias '(.*)' has no letter"),
    ("alias-backslash", taxonomy_with_alias("\\"), "alias '\\\\' has no letter"),
    (
        "alias-number-only-spelling",
        taxonomy_with_alias("[Lễ hội] 2023"),
        "alias '[Lễ hội] 2023' has no letter in its spelling '2023'",
    ),
    (
        "duplicate-key",
        TAXONOMY.read_text(encoding="utf-8") + "\nversion: 2\n",
        "duplicate key 'version' (first at line 12)",
    ),
]

CASES = [("sources", *c) for c in BAD_SOURCES] + [("taxonomy", *c) for c in BAD_TAXONOMIES]


def write_case(tmp_path: Path, kind: str, text: str) -> tuple[Path, Path, Path]:
    sources, taxonomy = tmp_path / "sources.yaml", TAXONOMY
    if kind == "sources":
        sources.write_text(text, encoding="utf-8")
    else:
        sources.write_text(src(), encoding="utf-8")
        taxonomy = tmp_path / "taxonomy.yaml"
        taxonomy.write_text(text, encoding="utf-8")
    return sources, taxonomy, sources if kind == "sources" else taxonomy


@pytest.mark.parametrize("kind, case, text, fragment", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_every_bad_config_exits_2_with_one_line(tmp_path, capsys, kind, case, text, fragment):
    sources, taxonomy, bad = write_case(tmp_path, kind, text)
    db = tmp_path / "kb.db"
    code = main(["run", "--sources", str(sources), "--taxonomy", str(taxonomy), "--db", str(db)])
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert code == 2, err
    assert len(lines) == 1, err
    assert lines[0].startswith(f"configuration error: {bad}: "), err
    assert fragment in lines[0], err
    assert "Traceback" not in err
    assert not db.exists()


def test_the_list_covers_the_attack():
    """61 bad configs in the attack, 14 of them not rejected cleanly: all 14 are here, and the
    list is at least as long as the attack's."""
    assert len(CASES) >= 61
    ids = {c[1] for c in CASES}
    assert {
        "port-out-of-range", "file-search-url", "page-url-typo", "search-url-typo",
        "duplicate-key", "host-with-path", "host-empty", "hook-unknown-module", "css-invalid",
        "user-agent-crlf", "user-agent-placeholder", "alias-punctuation", "alias-regex",
        "alias-backslash",
    } <= ids  # fmt: skip


def test_the_console_script_says_the_same(tmp_path):
    """A real process for three of them: exit status 2, one line on stderr."""
    for case in ("user-agent-placeholder", "duplicate-key", "css-invalid"):
        kind, _, text, fragment = next(c for c in CASES if c[1] == case and c[0] == "sources")
        sources, taxonomy, _ = write_case(tmp_path, kind, text)
        out = subprocess.run(
            [sys.executable, "-m", "ingest.cli", "run", "--sources", str(sources),
             "--taxonomy", str(taxonomy), "--db", str(tmp_path / "kb.db")],
            cwd=REPO, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert out.returncode == 2, out.stderr
        assert len(out.stderr.strip().splitlines()) == 1 and fragment in out.stderr, out.stderr


def test_the_punctuation_alias_no_longer_tags_rain(repo_taxonomy):
    """What the attack showed: with `!!! ...` accepted, "Hôm nay trời mưa !!!" was tagged."""
    from ingest.config import ConfigError
    from ingest.tag.taxonomy import parse_taxonomy

    with pytest.raises(ConfigError, match="has no letter"):
        parse_taxonomy(yaml.safe_load(taxonomy_with_alias("!!! ...")))
