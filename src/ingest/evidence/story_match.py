"""When two articles are one story: documents, MinHash signatures and the pair rule (pure).

Two articles belong to one story when either
- their bodies are near-duplicates (syndicated copies, shortened copies, aggregator copies
  under a different headline and boilerplate): MinHash over word 3-shingles of the `fold`ed
  lead and text, compared by Jaccard *and* containment (a shortened copy holds only half of
  the original's shingles, so Jaccard alone misses it), published within `MAX_COPY_GAP_DAYS`;
- or they report the same event: published within `MAX_EVENT_GAP_DAYS`, similar headlines and
  some shared body text.
Look-alike events (the 2022, 2023 and 2024 festival openings) are kept apart by the date gap
and by a guard on explicit years in the headlines ("... năm 2023" vs "... năm 2024").

`decide` is the rule on the measured quantities; `score_pair` measures two documents and asks
it, and the index (`story_index`) asks it for many candidates at once with Jaccard computed
for all of them in one array operation.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any

import numpy as np
from datasketch import LeanMinHash, MinHash

from ..text.textnorm import fold

NUM_PERM = 128
# datasketch 2 needs the permutation scheme named when a MinHash is rebuilt from stored values;
# signatures of another scheme cannot be compared, so they are recomputed (see assign_stories).
SCHEME = "affine32"
SEED = 1  # datasketch's default: stored signatures were all made with it
_DTYPES = {"affine32": "<u4", "affine64": "<u8", "legacy": "<u8"}
SHINGLE_SIZE = 3
LSH_THRESHOLD = 0.2  # recall-oriented: every candidate is then checked by `decide`
MAX_COPY_GAP_DAYS = 30  # an aggregator can republish weeks later
MAX_EVENT_GAP_DAYS = 3  # same event, different reporting: the press covers it within days
DUPLICATE_JACCARD = 0.5
DUPLICATE_CONTAINMENT = 0.6
EVENT_TITLE_SIM = 0.5
EVENT_BODY_JACCARD = 0.1
MIN_SHINGLES = 5

_WORD = re.compile(r"\w+")
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_VN = timezone(timedelta(hours=7))


@dataclass
class StoryDoc:
    """What clustering needs from one article."""

    key: int | str
    title: str
    body: str  # lead + text
    published: datetime | None
    source_id: str = ""
    minhash: MinHash | None = None
    shingle_count: int = 0
    title_words: frozenset[str] = field(default_factory=frozenset)
    title_years: frozenset[str] = field(default_factory=frozenset)
    _titled: bool = field(default=False, repr=False, compare=False)

    def prepare(self) -> StoryDoc:
        """Fill in the signature and headline features (once; later calls cost nothing)."""
        if self.minhash is None:
            sh = shingles(self.body)
            self.minhash = signature(sh)
            self.shingle_count = len(sh)
        if not self._titled:
            self.title_words, self.title_years = title_features(self.title)
            self._titled = True
        return self


def title_features(title: str) -> tuple[frozenset[str], frozenset[str]]:
    """The folded headline's words and the years it names."""
    folded = fold(title or "")
    return frozenset(_WORD.findall(folded)), frozenset(_YEAR.findall(folded))


def words(text: str) -> list[str]:
    """Folded syllables: copies differ in NFC/NFD, tone placement and case, never in words."""
    return _WORD.findall(fold(text or ""))


def shingles(text: str, k: int = SHINGLE_SIZE) -> set[str]:
    """Word k-shingles of the folded text (the words themselves for very short texts)."""
    w = words(text)
    if len(w) < k:
        return set(w)
    return {" ".join(w[i : i + k]) for i in range(len(w) - k + 1)}


@lru_cache(maxsize=4)
def _empty_minhash(num_perm: int) -> MinHash:
    """Setting up the permutations costs more than hashing an article's shingles, so it is
    done once and every signature starts from a copy (what `MinHash.bulk` does)."""
    return MinHash(num_perm=num_perm, seed=SEED, scheme=SCHEME)


def signature(items: Iterable[str], num_perm: int = NUM_PERM) -> MinHash:
    m = _empty_minhash(num_perm).copy()
    m.update_batch([s.encode("utf-8") for s in items])
    return m


def minhash_to_blob(m: MinHash) -> bytes:
    return np.asarray(m.hashvalues, dtype=_DTYPES[SCHEME]).tobytes()


def values_from_blob(blob: bytes, scheme: str = SCHEME) -> np.ndarray:
    dtype = np.dtype(_DTYPES[scheme])
    return np.frombuffer(blob, dtype=dtype).astype(dtype.newbyteorder("="))


def minhash_from_blob(blob: bytes, scheme: str = SCHEME) -> MinHash:
    """A stored signature as a read-only MinHash, without any permutation set-up."""
    return LeanMinHash(seed=SEED, hashvalues=values_from_blob(blob, scheme), scheme=scheme)


def containment(jaccard: float, size_a: int, size_b: int) -> float:
    """|A∩B| / min(|A|,|B|) estimated from Jaccard and the set sizes."""
    if min(size_a, size_b) == 0:
        return 0.0
    inter = jaccard * (size_a + size_b) / (1.0 + jaccard)
    return min(1.0, inter / min(size_a, size_b))


def title_similarity(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def parse_published(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def timestamp(dt: datetime) -> float:
    """Seconds since the epoch; a date without a zone is taken as Hanoi time."""
    return (dt if dt.tzinfo else dt.replace(tzinfo=_VN)).timestamp()


def gap_days(a: datetime | None, b: datetime | None) -> float | None:
    if a is None or b is None:
        return None
    return abs(timestamp(a) - timestamp(b)) / 86400.0


@dataclass(frozen=True)
class PairScore:
    jaccard: float
    containment: float
    title_sim: float
    gap_days: float | None
    same: bool
    reason: str


def decide(
    j: float,
    c: float,
    t: float,
    gap: float | None,
    years_a: frozenset[str],
    years_b: frozenset[str],
    min_shingles: int,
) -> tuple[bool, str]:
    """The pair rule on measured quantities: (same story?, why)."""
    if years_a and years_b and not (years_a & years_b):
        return False, "different years in the headlines"
    if gap is not None and gap > MAX_COPY_GAP_DAYS:
        return False, "published too far apart"
    if min_shingles >= MIN_SHINGLES and (j >= DUPLICATE_JACCARD or c >= DUPLICATE_CONTAINMENT):
        return True, "near-duplicate text"
    if (
        gap is not None
        and gap <= MAX_EVENT_GAP_DAYS
        and t >= EVENT_TITLE_SIM
        and j >= EVENT_BODY_JACCARD
    ):
        return True, "same event: close dates, similar headlines"
    return False, "different text"


def score_pair(a: StoryDoc, b: StoryDoc) -> PairScore:
    """Decide whether two prepared documents are one story, and say why."""
    assert a.minhash is not None and b.minhash is not None
    j = float(a.minhash.jaccard(b.minhash))
    c = containment(j, a.shingle_count, b.shingle_count)
    t = title_similarity(a.title_words, b.title_words)
    gap = gap_days(a.published, b.published)
    same, reason = decide(
        j, c, t, gap, a.title_years, b.title_years, min(a.shingle_count, b.shingle_count)
    )
    return PairScore(j, c, t, gap, same, reason)


def publication_order(doc: StoryDoc) -> tuple[str, str]:
    return (doc.published.isoformat() if doc.published else "9999", str(doc.key))


def pair_metrics(predicted: dict[Any, Any], truth: dict[Any, Any]) -> dict[str, float]:
    """Pairwise precision and recall of a clustering against gold story keys."""
    keys = sorted(set(predicted) & set(truth), key=str)
    tp = fp = fn = 0
    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            p = predicted[a] == predicted[b]
            t = truth[a] == truth[b]
            tp += p and t
            fp += p and not t
            fn += t and not p
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return {"precision": precision, "recall": recall, "tp": tp, "fp": fp, "fn": fn}
