"""Real pages from ../shared/corpus, extracted by the pipeline and tagged.

The five reference articles the users started from (2020-2023: Dân trí, Nhân Dân, Phụ nữ Thủ
đô, Tin tức, Kinh tế & Đô thị) must stay relevant with their initiatives; every other article
page of the corpus must get the relevance we read in it by the labelling guide. Skipped when
../shared/corpus is absent (a clone without the shared material).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from ingest.extract.article import extract
from ingest.tag.classify import classify

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO.parent / "shared" / "corpus"
SPEC = json.loads((REPO / "eval" / "reference_articles.json").read_text(encoding="utf-8"))

pytestmark = pytest.mark.skipif(
    not (CORPUS / "gold.jsonl").exists(), reason="../shared/corpus is not available here"
)


@pytest.fixture
def tax(repo_taxonomy):
    return repo_taxonomy


@pytest.fixture(scope="module")
def pages() -> list[dict]:
    """Article pages of the corpus: gold record plus the MANIFEST host."""
    with open(CORPUS / "MANIFEST.tsv", encoding="utf-8") as f:
        kinds = {Path(r["file"]).name: r for r in csv.DictReader(f, delimiter="\t")}
    out = []
    with open(CORPUS / "gold.jsonl", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                g = json.loads(line)
                row = kinds.get(g["file"], {})
                if row.get("kind", "article") == "article":
                    host = row.get("site") or urlsplit(g["url"]).hostname or ""
                    out.append({**g, "host": host.removeprefix("www.")})
    return out


def _tag(tax, page: dict):
    html = (CORPUS / "html" / page["file"]).read_bytes()
    ex = extract(html, page["url"])
    return classify(ex.title, ex.text, tax, lead=ex.lead)


def _is_reference(page: dict) -> bool:
    lo, hi = SPEC["years"]
    year = int((page.get("published") or "0")[:4] or 0)
    return page["host"] in SPEC["outlets"] and lo <= year <= hi


def test_reference_articles_stay_relevant_with_their_initiatives(tax, pages):
    refs = [p for p in pages if _is_reference(p)]
    if not refs:
        pytest.skip("none of the five reference articles is in ../shared/corpus here")
    for page in refs:
        r = _tag(tax, page)
        assert r.relevant, page["file"]
        assert r.initiatives, page["file"]
        for tag in r.initiatives:
            assert tag.evidence, page["file"]


def test_corpus_article_pages_get_the_relevance_the_guide_gives(tax, pages):
    labels = SPEC["corpus_labels"]
    assert len(pages) >= 20
    assert set(labels) <= {p["file"] for p in pages}
    relevant = []
    for page in pages:
        if _is_reference(page):
            continue  # checked above, with their own expectations
        want = labels.get(page["file"], SPEC["corpus_default"])
        r = _tag(tax, page)
        assert r.relevant is want["relevant"], page["file"]
        if want["relevant"]:
            relevant.append(page["file"])
            assert [t.label_id for t in r.initiatives] == want["initiatives"], page["file"]
            assert all(t.evidence for t in r.initiatives + r.agencies)
    assert relevant == sorted(f for f, v in labels.items() if v["relevant"])
