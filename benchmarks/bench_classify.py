"""Benchmark: classify 1,000 articles of average length on one core and print the figures.

Articles are assembled (seeded, reproducible) from the sentences of the labelled set into bodies
of about 5,000 characters, the mean length of the article texts in the shared real-page corpus.
Target from the issue: under 2 seconds for 1,000 articles. Run:
    .venv/bin/python benchmarks/bench_classify.py [--articles 1000] [--chars 5000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import unicodedata
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from ingest.quality.tagging import load_set  # noqa: E402
from ingest.tag.classify import classify, compile_taxonomy, split_sentences  # noqa: E402
from ingest.tag.taxonomy import load_taxonomy  # noqa: E402


def make_articles(n: int, chars: int, seed: int = 2019) -> list[tuple[str, str, str]]:
    items = [
        {k: unicodedata.normalize("NFC", v) if isinstance(v, str) else v for k, v in it.items()}
        for it in load_set()
    ]  # the pipeline stores NFC text
    sentences = [
        text[s:e] for item in items for text in (item["text"],) for s, e in split_sentences(text)
    ]
    titles = [item["title"] for item in items]
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        paras, size = [], 0
        while size < chars:
            para = " ".join(rng.choice(sentences) for _ in range(rng.randint(2, 4)))
            paras.append(para)
            size += len(para) + 1
        out.append((rng.choice(titles), rng.choice(sentences), "\n".join(paras)))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--articles", type=int, default=1000)
    ap.add_argument("--chars", type=int, default=5000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    t0 = time.perf_counter()
    tax = load_taxonomy(REPO / "taxonomy.yaml")
    compile_taxonomy(tax)
    setup = time.perf_counter() - t0
    docs = make_articles(args.articles, args.chars)
    mean_len = statistics.mean(len(t) + len(lead) + len(x) for t, lead, x in docs)

    runs, cpu = [], []
    relevant = 0
    for _ in range(args.repeat):
        t, c = time.perf_counter(), time.process_time()
        relevant = sum(classify(title, text, tax, lead=lead).relevant for title, lead, text in docs)
        runs.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    best = min(runs)
    print(f"taxonomy load + compile: {setup * 1000:.1f} ms")
    print(f"articles: {len(docs)}, mean length {mean_len:.0f} chars, relevant {relevant}")
    print(
        f"classify all (best of {args.repeat}): {best:.3f} s "
        f"({best / len(docs) * 1000:.2f} ms per article, {len(docs) / best:.0f} articles/s)"
    )
    print(f"CPU time (best of {args.repeat}): {min(cpu):.3f} s; target < 2 s per 1,000 articles")
    print(f"all runs, wall: {', '.join(f'{r:.3f}' for r in runs)} s")


if __name__ == "__main__":
    main()
