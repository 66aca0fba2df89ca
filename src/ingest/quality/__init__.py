"""Quality gates: the extraction and tagging evaluations, side by side with their baselines.

Takes labelled sets (../shared/corpus, tests/fixtures/extract, eval/*.jsonl, the sample sites'
gold) and gives per-field and per-label scores, the failing items, and a check against the
floors in quality/*.json (which only rise). Used by `ingest eval-extract`, `ingest eval-tags`,
the gate tests and the benchmarks; nothing in the pipeline imports it.

- `extraction`: the extractor against gold pages, with bare trafilatura beside it.
- `tagging`: relevance, initiative and agency precision/recall on labelled passages.
"""

from .extraction import default_sets, evaluate_set, format_table
from .tagging import evaluate, format_report, load_set

__all__ = ["default_sets", "evaluate", "evaluate_set", "format_report", "format_table", "load_set"]
