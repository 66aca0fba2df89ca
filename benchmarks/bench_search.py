"""Search at 100,000 articles: table search with facets, the search page, the index itself.

Builds a synthetic knowledge base with the real schema (`ingest.store.db.connect`) and the real
indexing (`ingest.store.db.index_article`), and next to it its peer: the same articles with
plain sqlite-utils full-text search (`enable_fts` on title, lead and text with our tokenizer,
no folded copy) served by plain Datasette (our plugin unregistered; Datasette's own `?_search=`, column and
array facets). Then:
- the index: build time of ours (`rebuild_search_index`, one transaction) against
  `enable_fts` on the same articles (target <= 2x), and database size per article after
  VACUUM, ours against the peer's (target <= 4.5 KiB);
- requests through Datasette's test client, each side in a process of its own, rounds
  alternating: median and p95 per request over all rounds, ours next to the peer where the
  peer has the same page. Targets: table `?_search=` with 7 facets p95 < 100 ms;
  `initiative_ids__arraycontains=` < 300 ms.

    .venv/bin/python benchmarks/bench_search.py [--articles 100000] [--db /tmp/bench-kb/kb.db]
    BENCH_QUICK=1 .venv/bin/python benchmarks/bench_search.py     # 10,000 articles
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchlib import quick, verdict

from ingest.store.db import FOLDED_TABLE, FTS_TABLE, FTS_TOKENIZE, connect, index_article

SOURCES = [(f"src{i:02d}", f"Báo mẫu {i}", "portal" if i % 4 == 0 else "press") for i in range(20)]
INITIATIVES = [
    "design_center",
    "creative_spaces",
    "talent_tv",
    "design_festival",
    "sea_forum",
    "young_designers",
    "uccn_membership",
    "cultural_industry",
]
AGENCIES = ["hanoi_pc", "doc_sports", "hanoi_tv", "unesco_office", "mofa", "mocst", "district_pc"]
SYLLABLES = (
    "hà nội thành phố sáng tạo thiết kế lễ hội không gian văn hóa nghệ thuật người dân du khách "
    "phố cổ hoạt động chương trình triển lãm làng nghề di sản công nghiệp đô thị kiến trúc trẻ "
    "cộng đồng đường phố bảo tàng trung tâm mạng lưới quốc tế đông nam á năm tháng ngày tổ chức "
    "đài phát thanh truyền hình sở ủy ban nhân dân dự án kế hoạch phát triển"
).split()
PHRASES = [
    "Lễ hội Thiết kế sáng tạo Hà Nội",
    "Đài Phát thanh và Truyền hình Hà Nội",
    "Mạng lưới các Thành phố sáng tạo",
    "không gian sáng tạo",
    "Sở Văn hóa và Thể thao",
]


ONSETS = "b c ch d đ g gh gi h k kh l m n ng nh p ph qu r s t th tr v x".split()
RHYMES = "a ai am an ang anh ao au ay e em en eo i ia im in iu o oi om on ong u ua ui um un ung uy".split()
TONES = ["", "\u0301", "\u0300", "\u0309", "\u0303", "\u0323"]


def filler_vocabulary(rng: random.Random, size: int = 4000) -> list[str]:
    """Made-up syllables with Vietnamese shapes and tones, so the query words are selective.

    With only a few dozen real syllables every article would contain every query word and
    each search would match the whole table, which no real corpus does.
    """
    import unicodedata

    vocab: set[str] = set()
    while len(vocab) < size:
        syllable = rng.choice(ONSETS) + rng.choice(RHYMES)
        vocab.add(unicodedata.normalize("NFC", syllable[:-1] + syllable[-1] + rng.choice(TONES)))
    return sorted(vocab)


FILLER: list[str] = []


def sentence(rng: random.Random) -> str:
    """About one word in five from the topic vocabulary, a key phrase in one sentence in 40."""
    if not FILLER:
        FILLER.extend(filler_vocabulary(random.Random(0)))
    words = [
        rng.choice(SYLLABLES) if rng.random() < 0.2 else rng.choice(FILLER)
        for _ in range(rng.randint(12, 24))
    ]
    if rng.random() < 0.025:
        words.insert(rng.randint(0, len(words)), rng.choice(PHRASES))
    return " ".join(words).capitalize() + "."


def build(path: Path, n: int, seed: int = 6) -> None:
    rng = random.Random(seed)
    db = connect(path)
    with db.conn:
        db["sources"].insert_all(
            {"id": i, "name": name, "kind": kind, "home": f"https://{i}.example/"}
            for i, name, kind in SOURCES
        )
        db["initiatives"].insert_all(
            {"id": i, "name_vi": i, "name_en": i, "kind": "initiative"} for i in INITIATIVES
        )
        db["agencies"].insert_all({"id": a, "name_vi": a, "name_en": a} for a in AGENCIES)
        for article_id in range(1, n + 1):
            src, _, kind = rng.choice(SOURCES)
            year = rng.randint(2019, 2026)
            month = rng.randint(1, 12)
            day = rng.randint(1, 28)
            date = f"{year}-{month:02d}-{day:02d}"
            relevant = int(rng.random() < 0.4)
            inits = rng.sample(INITIATIVES, rng.randint(1, 2)) if relevant else []
            ags = rng.sample(AGENCIES, rng.randint(0, 2)) if relevant else []
            row = {
                "id": article_id,
                "url": f"https://{src}.example/{article_id}.html",
                "source_id": src,
                "source_kind": kind,
                "title": sentence(rng)[:90],
                "lead": sentence(rng),
                "text": "\n".join(sentence(rng) for _ in range(rng.randint(6, 14))),
                "published": f"{date}T08:00:00+07:00",
                "published_date": date,
                "published_month": date[:7],
                "published_year": year,
                "relevant": relevant,
                "initiative_ids": json.dumps(inits),
                "agency_ids": json.dumps(ags),
            }
            db["articles"].insert(row)
            index_article(db, article_id, row)
            for i in inits:
                db["article_initiatives"].insert(
                    {
                        "article_id": article_id,
                        "initiative_id": i,
                        "evidence": row["lead"],
                        "field": "lead",
                        "start": 0,
                        "end": len(row["lead"]),
                    }
                )
            for a in ags:
                db["article_agencies"].insert(
                    {
                        "article_id": article_id,
                        "agency_id": a,
                        "evidence": row["lead"],
                        "field": "lead",
                        "start": 0,
                        "end": len(row["lead"]),
                    }
                )
    db.conn.close()


# (name, path, what the peer serves for it or None)
REQUESTS = [
    ("table _search, 7 facets", "/kb/articles.json?_search=le+hoi+thiet+ke&_size=50", True),
    (
        "table _search đ phrase, 7 facets",
        "/kb/articles.json?_search=%22%C4%91%C3%A0i+ph%C3%A1t+thanh%22&_size=50",
        True,
    ),
    ("table _search, HTML page", "/kb/articles?_search=le+hoi+thiet+ke&_size=50", True),
    ("search page (ranked, passages)", "/-/search?q=dai+phat+thanh", False),
    ("search_articles canned query", "/kb/search_articles.json?q=khong+gian+sang+tao&_size=50", False),
    ("articles page, 7 facets", "/kb/articles?_size=50", True),
    ("facet selection (source+year)", "/kb/articles.json?source_id=src03&published_year=2023&_size=50", True),
    ("initiative selection _has_", "/kb/articles.json?_has_initiative_ids=design_festival&_size=50", False),
    ("arraycontains selection", "/kb/articles.json?initiative_ids__arraycontains=design_festival&_size=50", True),
    ("coverage_by_month canned query", "/kb/coverage_by_month.json", False),
]  # fmt: skip

PLAIN_FACETS = [
    "source_id",
    "source_kind",
    {"array": "initiative_ids"},
    {"array": "agency_ids"},
    "published_year",
    "published_month",
    "relevant",
]


def serve_and_time(db: str, plain: bool, repeat: int) -> dict[str, list[float]]:
    """In the worker process: Datasette on `db`, every request `repeat` times (ms)."""
    from datasette.app import Datasette

    from ingest.publish.settings import load_metadata, settings_dict

    metadata = load_metadata()
    if plain:
        from datasette.plugins import pm

        pm.unregister(name="ingest_vn")
        table = metadata["databases"]["kb"]["tables"]["articles"]
        table.pop("vn_search", None)
        table.update(fts_table="articles_fts", fts_pk="id", facets=PLAIN_FACETS)

    async def run() -> dict[str, list[float]]:
        ds = Datasette([db], metadata=metadata, settings=settings_dict())
        await ds.invoke_startup()
        out: dict[str, list[float]] = {}
        for name, path, peer in REQUESTS:
            if plain and not peer:
                continue
            await ds.client.get(path)  # warm: the page cache, the facet columns
            times = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                response = await ds.client.get(path)
                times.append((time.perf_counter() - t0) * 1000)
                assert response.status_code == 200, (name, response.status_code)
            out[name] = times
        return out

    return asyncio.run(run())


def p95(values: list[float]) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, int(round(0.95 * (len(v) - 1))))]


async def time_request(ds, path: str, repeat: int) -> tuple[float, float, int]:
    """(median ms, p95 ms, HTTP status) of `repeat` requests through Datasette's client (the
    timing loop bench_researchers shares)."""
    timings = []
    status = 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        response = await ds.client.get(path)
        timings.append((time.perf_counter() - t0) * 1000)
        status = response.status_code
    return statistics.median(timings), p95(timings), status


def ensure_db(db: Path, articles: int) -> None:
    """Build the synthetic database at `db`, unless one of that size is already there."""
    existing = 0
    if db.exists():
        existing = sqlite3.connect(db).execute("select count(*) from articles").fetchone()[0]
    if existing != articles:
        for suffix in ("", "-wal", "-shm"):
            Path(str(db) + suffix).unlink(missing_ok=True)
        db.parent.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        build(db, articles)
        print(f"built {articles:,} articles in {time.perf_counter() - t0:.1f} s: {db}")
    else:
        print(f"reusing {db} ({existing:,} articles)")


def copy_db(src: Path, dest: Path) -> None:
    """A compact copy of `src` at `dest` (whatever was there before removed)."""
    for suffix in ("", "-wal", "-shm"):
        Path(str(dest) + suffix).unlink(missing_ok=True)
    conn = sqlite3.connect(src)
    conn.execute(f"vacuum into '{dest}'")
    conn.close()


def plain_copy(ours: Path, dest: Path) -> float:
    """The peer database: our articles with sqlite-utils' own FTS; returns enable_fts seconds."""
    import sqlite_utils

    copy_db(ours, dest)
    db = sqlite_utils.Database(dest)
    for sql in ("drop table articles_fts", "drop view articles_fts_docs",
                "drop table articles_fts_folded"):  # fmt: skip
        db.execute(sql)
    t0 = time.perf_counter()
    with db.conn:
        # the tokenizer ours uses: with sqlite-utils' default (remove_diacritics 1) a syllable
        # with two marks (lễ, hội) keeps them, so `le hoi` would match almost nothing there
        db["articles"].enable_fts(
            ["title", "lead", "text"], create_triggers=False, tokenize=FTS_TOKENIZE
        )
    elapsed = time.perf_counter() - t0
    db.execute("vacuum")
    db.close()
    return elapsed


def our_rebuild(ours: Path, dest: Path) -> float:
    """Our index built afresh on a copy, in one transaction: what migration m009 runs."""
    from ingest.store.db import rebuild_search_index

    copy_db(ours, dest)
    db = connect(dest)
    with db.atomic():  # emptied first, as the peer's tables are dropped before its clock starts
        db.execute(f"delete from {FOLDED_TABLE}")
        db.execute(f"insert into {FTS_TABLE} ({FTS_TABLE}) values ('delete-all')")
    t0 = time.perf_counter()
    with db.atomic():
        rebuild_search_index(db)
    elapsed = time.perf_counter() - t0
    db.conn.close()
    return elapsed


def kib_per_article(path: Path, n: int) -> float:
    conn = sqlite3.connect(path)
    conn.execute("vacuum")
    conn.close()
    return path.stat().st_size / n / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int)
    parser.add_argument("--db", type=Path, default=Path("/tmp/bench-kb/kb.db"))
    parser.add_argument("--repeat", type=int, help="requests per round (default 20)")
    parser.add_argument("--rounds", type=int, help="rounds, the two sides alternating (default 3)")
    parser.add_argument("--worker", choices=("ours", "plain"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    repeat = args.repeat or (8 if quick() else 20)
    if args.worker:
        print(json.dumps(serve_and_time(str(args.db), args.worker == "plain", repeat)))
        return
    n = args.articles or (10_000 if quick() else 100_000)
    rounds = args.rounds or (2 if quick() else 3)
    args.db.parent.mkdir(parents=True, exist_ok=True)
    ensure_db(args.db, n)
    connect(args.db).conn.close()  # migrations applied (an older build is migrated here)
    plain_db = args.db.parent / "plain" / "kb.db"  # served as "kb" too
    plain_db.parent.mkdir(exist_ok=True)
    rebuilt_db = args.db.with_name("rebuilt.db")
    builds = {"ours": [], "plain": []}
    for r in range(rounds):
        for side in ("ours", "plain") if r % 2 == 0 else ("plain", "ours"):
            fn = our_rebuild if side == "ours" else plain_copy
            builds[side].append(fn(args.db, rebuilt_db if side == "ours" else plain_db))
    ours_s, plain_s = statistics.median(builds["ours"]), statistics.median(builds["plain"])
    print(f"\nindex build, {n:,} articles, one transaction (median of {rounds}):")
    print(f"  ours (fold + index the folded fields) {ours_s:.2f} s {builds['ours']}")
    print(f"  sqlite-utils enable_fts               {plain_s:.2f} s {builds['plain']}")
    verdict("  ours / enable_fts", ours_s / plain_s, 2.0)
    ours_kib = kib_per_article(rebuilt_db, n)
    plain_kib = kib_per_article(plain_db, n)
    print(f"\ndatabase size per article after VACUUM: ours {ours_kib:.2f} KiB,"
          f" plain sqlite-utils FTS {plain_kib:.2f} KiB")  # fmt: skip
    verdict("  ours, KiB per article", ours_kib, 4.5)
    rebuilt_db.unlink()

    times: dict[str, dict[str, list[float]]] = {"ours": {}, "plain": {}}
    for r in range(rounds):
        for side in ("ours", "plain") if r % 2 == 0 else ("plain", "ours"):
            db = args.db if side == "ours" else plain_db
            done = subprocess.run(
                [sys.executable, __file__, "--worker", side, "--db", str(db),
                 "--repeat", str(repeat)],
                capture_output=True, text=True, check=True, cwd=Path(__file__).parent,
            )  # fmt: skip
            for name, values in json.loads(done.stdout.strip().splitlines()[-1]).items():
                times[side].setdefault(name, []).extend(values)
    print(f"\nrequests, {rounds} rounds of {repeat}, each side in its own process (ms):")
    print(f"{'request':36} {'ours median':>11} {'p95':>7}   {'plain median':>12} {'p95':>7}")
    for name, _, _ in REQUESTS:
        o = times["ours"][name]
        line = f"{name:36} {statistics.median(o):11.1f} {p95(o):7.1f}"
        if name in times["plain"]:
            p = times["plain"][name]
            line += f"   {statistics.median(p):12.1f} {p95(p):7.1f}"
        print(line)
    verdict(
        "table _search with 7 facets, p95 ms", p95(times["ours"]["table _search, 7 facets"]), 100
    )
    verdict(
        "initiative_ids__arraycontains, p95 ms", p95(times["ours"]["arraycontains selection"]), 300
    )  # noqa: E501


if __name__ == "__main__":
    main()
