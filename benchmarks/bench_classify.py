"""Benchmark: classify 1,000 articles of average length on one core and print the figures.

Articles are assembled (seeded, reproducible) from the sentences of the labelled set into bodies
of about 5,000 characters, the mean length of the article texts in the shared real-page corpus.
Target from the issue: under 2 seconds for 1,000 articles. The figure is the median of the
rounds (CPU time of this process, so other work on the machine does not count), printed with
min..max and spread; a best-of-n would flatter. Run:
    .venv/bin/python benchmarks/bench_classify.py [--articles 1000] [--chars 5000] [--repeat 5]
    BENCH_QUICK=1 .venv/bin/python benchmarks/bench_classify.py   # 300 articles, 3 rounds
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

from benchlib import Stats, quick, verdict  # noqa: E402

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
    ap.add_argument("--articles", type=int, default=300 if quick() else 1000)
    ap.add_argument("--chars", type=int, default=5000)
    ap.add_argument("--repeat", type=int, default=3 if quick() else 5)
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
    wall, cpu_s = Stats(runs), Stats(cpu)
    per_1000 = cpu_s.median * 1000 / len(docs)
    print(f"taxonomy load + compile: {setup * 1000:.1f} ms")
    print(f"articles: {len(docs)}, mean length {mean_len:.0f} chars, relevant {relevant}")
    print(f"classify all, wall: {wall.fmt('s', 3)}")
    print(f"classify all, CPU:  {cpu_s.fmt('s', 3)} ({cpu_s.median / len(docs) * 1000:.2f} ms"
          f" per article, {len(docs) / cpu_s.median:.0f} articles per CPU-second)")  # fmt: skip
    verdict("CPU seconds per 1,000 articles (median)", per_1000, 2.0)


if __name__ == "__main__":
    main()
