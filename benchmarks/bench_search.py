"""Benchmark: folded search and faceted article pages on a 100,000-article knowledge base.

Builds a synthetic database with the real schema (`ingest.store.db.connect`) and the real FTS
indexing (`ingest.store.db.index_article`), then times requests through Datasette's test client with
the served metadata and settings. Prints median and p95 per request; asserts nothing about time.

    .venv/bin/python benchmarks/bench_search.py [--articles 100000] [--db /tmp/bench-kb/kb.db]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time
from pathlib import Path

from ingest.publish.settings import load_metadata, settings_dict
from ingest.store.db import connect, index_article

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


REQUESTS = {
    "table _search no diacritics": "/kb/articles.json?_search=le+hoi+thiet+ke&_size=50",
    "table _search đ phrase": "/kb/articles.json?_search=%22%C4%91%C3%A0i+ph%C3%A1t+thanh%22&_size=50",
    "search page (ranked, passages)": "/-/search?q=dai+phat+thanh",
    "search_articles canned query": "/kb/search_articles.json?q=khong+gian+sang+tao&_size=50",
    "articles page with 7 facets": "/kb/articles?_size=50",
    "facet selection (source+year)": "/kb/articles.json?source_id=src03&published_year=2023&_size=50",
    "initiative facet selection": "/kb/articles.json?_has_initiative_ids=design_festival&_size=50",
    "arraycontains selection": "/kb/articles.json?initiative_ids__arraycontains=design_festival&_size=50",
    "coverage_by_month canned query": "/kb/coverage_by_month.json",
}


async def measure(db_path: Path, repeat: int) -> None:
    from datasette.app import Datasette

    ds = Datasette([str(db_path)], metadata=load_metadata(), settings=settings_dict())
    await ds.invoke_startup()
    print(f"{'request':40} {'median ms':>10} {'p95 ms':>10}  status")
    for name, path in REQUESTS.items():
        median, p95, status = await time_request(ds, path, repeat)
        print(f"{name:40} {median:10.1f} {p95:10.1f}  {status}")


async def time_request(ds, path: str, repeat: int) -> tuple[float, float, int]:
    """(median ms, p95 ms, HTTP status) of `repeat` requests through Datasette's client."""
    timings = []
    status = 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        response = await ds.client.get(path)
        timings.append((time.perf_counter() - t0) * 1000)
        status = response.status_code
    timings.sort()
    p95 = timings[min(len(timings) - 1, int(round(0.95 * (len(timings) - 1))))]
    return statistics.median(timings), p95, status


def ensure_db(db: Path, articles: int) -> None:
    """Build the synthetic database at `db`, unless one of that size is already there."""
    existing = 0
    if db.exists():
        import sqlite3

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--db", type=Path, default=Path("/tmp/bench-kb/kb.db"))
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    ensure_db(args.db, args.articles)
    print(f"database size: {args.db.stat().st_size / 1e6:.1f} MB")
    import sqlite3

    from ingest.publish.plugin import prepare_connection

    conn = sqlite3.connect(args.db)
    prepare_connection(conn)
    for q in ("le hoi thiet ke", '"đài phát thanh"', "khong gian sang tao"):
        n = conn.execute(
            "select count(*) from articles_fts where articles_fts match vn_fts_query(?)", [q]
        ).fetchone()[0]
        print(f"matches for {q!r}: {n:,}")
    conn.close()
    asyncio.run(measure(args.db, args.repeat))


if __name__ == "__main__":
    main()
