"""Benchmark: story clustering, full rebuild vs tonight's incremental batch.

Builds a synthetic knowledge base with the real schema (`ingest.store.db.connect`): random articles
over seven years, a fifth of them syndicated copies of an earlier article (new headline,
boilerplate, sometimes cut in half, published up to a week later). Times `rebuild_stories` on
the whole table, then `assign_stories` for one night's batch of new articles, and prints
pairwise precision and recall against the generated truth. Asserts nothing about time.

    .venv/bin/python benchmarks/bench_stories.py [--articles 5000] [--batch 60]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from ingest.evidence.stories import assign_stories, pair_metrics, rebuild_stories
from ingest.store.db import connect

VN = timezone(timedelta(hours=7))
SYLLABLES = (
    "hà nội thành phố sáng tạo thiết kế lễ hội không gian văn hóa nghệ thuật người dân du khách "
    "phố cổ hoạt động chương trình triển lãm làng nghề di sản công nghiệp đô thị kiến trúc trẻ "
    "cộng đồng đường phố bảo tàng trung tâm mạng lưới quốc tế đông nam á năm tháng ngày tổ chức "
    "đài phát thanh truyền hình sở ủy ban nhân dân dự án kế hoạch phát triển gốm sơn mài dệt "
    "may đồ gỗ sinh viên doanh nghiệp hội thảo tọa đàm quảng trường sông hồng ven đô xưởng"
).split()
BOILERPLATE = ["Tin liên quan", "Chia sẻ", "Xem nhiều nhất", "Ý kiến của bạn", "Các tin khác"]


def sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(SYLLABLES) for _ in range(rng.randint(12, 24))).capitalize() + "."


def generate(n: int, seed: int = 7) -> tuple[list[dict], dict[int, int]]:
    """(article rows, truth: article id → id of its original)."""
    rng = random.Random(seed)
    start = datetime(2019, 7, 1, 8, tzinfo=VN)
    rows: list[dict] = []
    truth: dict[int, int] = {}
    for i in range(1, n + 1):
        if rows and rng.random() < 0.2:
            orig = rng.choice(rows[-200:])
            paras = orig["text"].split("\n")
            if rng.random() < 0.3:
                paras = paras[: (len(paras) + 1) // 2]
            text = "\n".join(paras + rng.sample(BOILERPLATE, 2))
            when = datetime.fromisoformat(orig["published"]) + timedelta(hours=rng.randint(1, 160))
            title = sentence(rng)[:80]
            truth[i] = truth[orig["id"]]
        else:
            text = "\n".join(sentence(rng) for _ in range(rng.randint(4, 9)))
            when = start + timedelta(minutes=i * 7 * 365 * 24 * 60 // n)
            title = sentence(rng)[:80]
            truth[i] = i
        rows.append(
            {
                "id": i,
                "url": f"https://example.vn/{i}",
                "source_id": f"s{i % 12}",
                "title": title,
                "lead": "",
                "text": text,
                "published": when.isoformat(),
                "published_date": when.date().isoformat(),
            }
        )
    rows.sort(key=lambda r: r["published"])
    return rows, truth


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=5000)
    ap.add_argument("--batch", type=int, default=60, help="articles in tonight's batch")
    args = ap.parse_args()
    rows, truth = generate(args.articles)
    with tempfile.TemporaryDirectory() as tmp:
        db = connect(Path(tmp) / "kb.db")
        db["sources"].insert_all(
            {"id": f"s{i}", "name": f"Báo {i}", "kind": "news", "home": "https://example.vn/"}
            for i in range(12)
        )
        tonight = {r["id"] for r in rows[-args.batch :]}
        db["articles"].insert_all(rows, pk="id")
        db.execute(
            f"delete from articles where id in ({','.join(str(i) for i in sorted(tonight))})"
        )
        t0 = time.perf_counter()
        rebuild_stories(db)
        full = time.perf_counter() - t0
        db["articles"].insert_all([r for r in rows if r["id"] in tonight], pk="id")
        t0 = time.perf_counter()
        counts = assign_stories(db, sorted(tonight))
        inc = time.perf_counter() - t0
        predicted = dict(db.execute("select id, story_id from articles").fetchall())
        m = pair_metrics(predicted, truth)
    n_full = args.articles - args.batch
    print(f"articles: {args.articles}, copies: {sum(1 for k, v in truth.items() if k != v)}")
    print(f"full rebuild of {n_full}: {full:.2f}s ({1000 * full / n_full:.2f} ms/article)")
    print(
        f"incremental batch of {args.batch}: {inc:.2f}s ({1000 * inc / args.batch:.2f} ms/article)"
        f" {counts}"
    )
    print(f"ratio full/incremental: {full / inc:.1f}x")
    print(f"precision {m['precision']:.3f} recall {m['recall']:.3f} ({m})")


if __name__ == "__main__":
    main()
