"""An in-memory index of story documents: LSH over MinHash bands, plus a publication timeline.

Why not datasketch's `MinHashLSH` (whose band layout this index copies, so it finds the same
neighbours): its buckets are Python lists that every query returns whole. Articles built from
the same template sentences (a portal's boilerplate-heavy notices, the generated test sites)
all share buckets, so one lookup returned the whole archive and assigning N articles cost N²
pair checks; kept for a whole crawl, its per-key objects also cost ~3 KB per article. Here
each band key is a 64-bit number in sorted numpy arrays, entries of one key sorted by
publication time, so a lookup is a few binary searches per band and returns
- every entry of a small bucket (up to `BUCKET_CAP`: what datasketch would return), and
- from a large bucket, the entries published within `WINDOW_DAYS` of the query (the only dated
  ones the pair rule can accept: copies more than `MAX_COPY_GAP_DAYS` apart are never one
  story), the `BUCKET_CAP // 2` nearest on either side, and the first `BUCKET_CAP // 2`
  undated entries (undated entries sort last).
An undated query has no window: it gets the latest dated and the first undated entries of each
large bucket, and joins the story of the first of them that the pair rule accepts.

Inserts go to a small unsorted buffer that is compared by array equality and sorted into the
runs every `FRESH_MAX` documents; runs of similar length are merged (a binary counter), so an
insert costs O(log n) amortised and a lookup searches O(log n) runs. Removing a document
(an updated article is matched afresh) only marks its row dead.

Memory at 100,000 articles: the signatures (512 bytes each), 28 band entries of 20 bytes each,
headlines and keys: about 120 MB.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from .story_match import (
    DUPLICATE_CONTAINMENT,
    DUPLICATE_JACCARD,
    EVENT_BODY_JACCARD,
    LSH_THRESHOLD,
    MAX_COPY_GAP_DAYS,
    MAX_EVENT_GAP_DAYS,
    MIN_SHINGLES,
    NUM_PERM,
    StoryDoc,
    containment,
    decide,
    timestamp,
    title_features,
    title_similarity,
)

BUCKET_CAP = 64
WINDOW_DAYS = MAX_COPY_GAP_DAYS + 1
FRESH_MAX = 64
_DAY = 86400.0
_UNDATED = np.inf  # sorts after every date inside a bucket
_MIX = np.uint64(0x9E3779B97F4A7C15)
_MIX2 = np.uint64(0xBF58476D1CE4E5B9)


@lru_cache(maxsize=4)
def band_shape(threshold: float = LSH_THRESHOLD, num_perm: int = NUM_PERM) -> tuple[int, int]:
    """(bands, rows per band) as datasketch's MinHashLSH picks them for this threshold (its
    optimisation integrates false-positive and false-negative curves: ~30 ms, so once)."""
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    return lsh.b, lsh.r


def band_keys(hv: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """(n, num_perm) hash values → (n, bands) 64-bit keys, one per band (band number mixed in,
    so one sorted array holds every band). Two documents share a key when they agree on every
    value of the band, as in datasketch; a false match (2⁻⁶⁴) only costs one pair check."""
    v = np.ascontiguousarray(hv[:, : bands * rows]).astype(np.uint64).reshape(len(hv), bands, rows)
    k = np.broadcast_to(np.arange(1, bands + 1, dtype=np.uint64) * _MIX2, (len(hv), bands)).copy()
    with np.errstate(over="ignore"):
        for j in range(rows):
            k ^= v[:, :, j]
            k *= _MIX
            k ^= k >> np.uint64(31)
    return k


@dataclass
class _Run:
    """Band entries sorted by (key, publication time)."""

    keys: np.ndarray  # uint64
    ts: np.ndarray  # float64, inf when undated
    rows: np.ndarray  # int64

    @classmethod
    def merge(cls, runs: list[_Run]) -> _Run:
        keys = np.concatenate([r.keys for r in runs])
        ts = np.concatenate([r.ts for r in runs])
        rows = np.concatenate([r.rows for r in runs])
        order = np.lexsort((rows, ts, keys))
        return cls(keys[order], ts[order], rows[order])


class StoryIndex:
    """Prepared documents; `match` lists the keys of the documents of the same story.

    Documents are also kept in publication order, so the same-event window is a bisect, not a
    scan: a full rebuild stays O(n · articles per week) rather than O(n²).
    """

    def __init__(self, threshold: float = LSH_THRESHOLD, num_perm: int = NUM_PERM) -> None:
        self.num_perm = num_perm
        self.bands, self.rows_per_band = band_shape(threshold, num_perm)
        self._hv = np.zeros((64, num_perm), dtype=np.uint32)
        self._ts = np.full(64, _UNDATED)
        self._shingles = np.zeros(64, dtype=np.int64)
        self._alive = np.zeros(64, dtype=bool)
        self._n = 0
        self._keys: list[Any] = []  # row -> document key
        self._titles: list[str] = []
        self._features: dict[int, tuple[frozenset[str], frozenset[str]]] = {}
        self._row: dict[Any, int] = {}  # key -> its live row
        self._runs: list[_Run] = []
        self._fresh: list[int] = []  # rows not yet in a run
        self._fresh_keys = np.zeros((0, self.bands), dtype=np.uint64)
        self._timeline: list[tuple[float, int]] = []  # (timestamp, row), dated rows only

    def __len__(self) -> int:
        return len(self._row)

    def __contains__(self, key: Any) -> bool:
        return key in self._row

    # --- building -----------------------------------------------------------------------

    def _grow(self, extra: int) -> None:
        need = self._n + extra
        if need <= len(self._ts):
            return
        size = max(need, 2 * len(self._ts))
        for name in ("_hv", "_ts", "_shingles", "_alive"):
            old = getattr(self, name)
            new = np.empty((size, *old.shape[1:]), dtype=old.dtype)
            new[: self._n] = old[: self._n]
            if name == "_ts":
                new[self._n :] = _UNDATED
            elif name == "_alive":
                new[self._n :] = False
            setattr(self, name, new)

    def add(self, doc: StoryDoc) -> None:
        doc.prepare()
        assert doc.minhash is not None
        ts = timestamp(doc.published) if doc.published is not None else _UNDATED
        hv = np.asarray(doc.minhash.hashvalues, dtype=np.uint32).reshape(1, -1)
        (row,) = self._append([doc.key], hv, [doc.title], [ts], [doc.shingle_count])
        self._features[row] = (doc.title_words, doc.title_years)
        self._to_fresh([row])

    def add_many(
        self,
        keys: list[Any],
        hashvalues: np.ndarray,
        titles: list[str],
        timestamps: list[float | None],
        shingle_counts: list[int],
    ) -> None:
        """Stored signatures in bulk (one sort for all of them): `timestamps` None = undated."""
        if not keys:
            return
        ts = [_UNDATED if t is None else t for t in timestamps]
        rows = self._append(keys, hashvalues, titles, ts, shingle_counts)
        if len(rows) < FRESH_MAX:
            self._to_fresh(rows)
        else:
            self._push_run(np.asarray(rows, dtype=np.int64))

    def _append(self, keys, hashvalues, titles, ts, shingle_counts) -> list[int]:
        for key in keys:
            self.remove(key)
        n = len(keys)
        self._grow(n)
        rows = list(range(self._n, self._n + n))
        sl = slice(self._n, self._n + n)
        self._hv[sl] = hashvalues
        self._ts[sl] = ts
        self._shingles[sl] = shingle_counts
        self._alive[sl] = True
        self._n += n
        self._keys.extend(keys)
        self._titles.extend(titles)
        for key, row, t in zip(keys, rows, ts, strict=True):
            self._row[key] = row
            if t != _UNDATED:
                bisect.insort(self._timeline, (t, row))
        return rows

    def _to_fresh(self, rows: list[int]) -> None:
        self._fresh.extend(rows)
        new_keys = band_keys(self._hv[rows], self.bands, self.rows_per_band)
        self._fresh_keys = np.concatenate([self._fresh_keys, new_keys])
        if len(self._fresh) >= FRESH_MAX:
            fresh = np.asarray(self._fresh, dtype=np.int64)
            self._fresh = []
            self._fresh_keys = np.zeros((0, self.bands), dtype=np.uint64)
            self._push_run(fresh)

    def _push_run(self, rows: np.ndarray) -> None:
        keys = band_keys(self._hv[rows], self.bands, self.rows_per_band)
        run = _Run.merge(
            [
                _Run(
                    keys.reshape(-1),
                    np.repeat(self._ts[rows], self.bands),
                    np.repeat(rows, self.bands),
                )
            ]
        )
        self._runs.append(run)
        while len(self._runs) > 1 and len(self._runs[-2].keys) <= 2 * len(self._runs[-1].keys):
            last = self._runs.pop()
            self._runs[-1] = self._compact(_Run.merge([self._runs[-1], last]))

    def _compact(self, run: _Run) -> _Run:
        """Drop the entries of removed documents while merging."""
        keep = self._alive[run.rows]
        if keep.all():
            return run
        return _Run(run.keys[keep], run.ts[keep], run.rows[keep])

    def remove(self, key: Any) -> None:
        row = self._row.pop(key, None)
        if row is None:
            return
        self._alive[row] = False
        t = self._ts[row]
        if t != _UNDATED:
            i = bisect.bisect_left(self._timeline, (t, row))
            if i < len(self._timeline) and self._timeline[i] == (t, row):
                del self._timeline[i]
        self._features.pop(row, None)

    # --- lookups ------------------------------------------------------------------------

    def _lsh_rows(self, keys: np.ndarray, ts: float) -> list[np.ndarray]:
        found: list[np.ndarray] = []
        if len(self._fresh):
            hit = (self._fresh_keys == keys).any(axis=1)
            found.append(np.asarray(self._fresh, dtype=np.int64)[hit])
        half = BUCKET_CAP // 2
        for run in self._runs:
            lo = np.searchsorted(run.keys, keys, "left")
            hi = np.searchsorted(run.keys, keys, "right")
            hit = np.flatnonzero(hi > lo)
            for a, z in zip(lo[hit].tolist(), hi[hit].tolist(), strict=True):
                if z - a <= BUCKET_CAP:
                    found.append(run.rows[a:z])
                    continue
                bucket = run.ts[a:z]
                if ts == _UNDATED:
                    i = j = a + int(np.searchsorted(bucket, _UNDATED, "left"))
                else:
                    span = WINDOW_DAYS * _DAY
                    i = a + int(np.searchsorted(bucket, ts - span, "left"))
                    j = a + int(np.searchsorted(bucket, ts + span, "right"))
                found.append(run.rows[max(a, i - half) : min(z, j + half)])
                if ts != _UNDATED:  # and the first undated ones: no gap keeps them apart
                    u = a + int(np.searchsorted(bucket, _UNDATED, "left"))
                    if u >= j + half:
                        found.append(run.rows[u : min(z, u + half)])
        return found

    def _candidate_rows(self, doc: StoryDoc, undated_limit: int | None = None) -> np.ndarray:
        """Rows of the LSH neighbours and of the same-event window; for an undated `doc`, at
        most `undated_limit` neighbours, those sharing the most bands (the most similar)."""
        doc.prepare()
        assert doc.minhash is not None
        hv = np.asarray(doc.minhash.hashvalues, dtype=np.uint32).reshape(1, -1)
        ts = timestamp(doc.published) if doc.published is not None else _UNDATED
        parts = self._lsh_rows(band_keys(hv, self.bands, self.rows_per_band)[0], ts)
        if ts != _UNDATED:
            span = MAX_EVENT_GAP_DAYS * _DAY
            lo = bisect.bisect_left(self._timeline, (ts - span, -1))
            hi = bisect.bisect_right(self._timeline, (ts + span, float("inf")))
            parts.append(np.asarray([r for _, r in self._timeline[lo:hi]], dtype=np.int64))
        if not parts:
            return np.zeros(0, dtype=np.int64)
        rows, hits = np.unique(np.concatenate(parts), return_counts=True)
        keep = self._alive[rows]
        own = self._row.get(doc.key)
        if own is not None:
            keep &= rows != own
        rows, hits = rows[keep], hits[keep]
        if ts == _UNDATED and undated_limit is not None and len(rows) > undated_limit:
            best = np.argsort(-hits, kind="stable")[:undated_limit]
            rows = np.sort(rows[best])
        return rows

    def candidates(self, doc: StoryDoc) -> set[Any]:
        """LSH neighbours plus every document published within the same-event window."""
        return {self._keys[r] for r in self._candidate_rows(doc).tolist()}

    def _title(self, row: int) -> tuple[frozenset[str], frozenset[str]]:
        got = self._features.get(row)
        if got is None:
            got = self._features[row] = title_features(self._titles[row])
        return got

    def match(self, doc: StoryDoc) -> list[Any]:
        """Keys of the indexed documents that the pair rule joins to `doc`, sorted.

        The candidates' Jaccard, containment and gaps are computed in arrays, and only those
        that pass a necessary condition of the rule (near-duplicate text within the copy gap,
        or some shared text within the event gap, with a margin) are decided one by one, by
        the same `decide` as `score_pair`: the result is the rule's, only cheaper.
        """
        rows = self._candidate_rows(doc, undated_limit=BUCKET_CAP)
        if not len(rows):
            return []
        assert doc.minhash is not None
        q = np.asarray(doc.minhash.hashvalues, dtype=np.uint32)
        jv = np.count_nonzero(self._hv[rows] == q, axis=1) / np.float64(self.num_perm)
        sizes = self._shingles[rows]
        smallest = np.minimum(sizes, doc.shingle_count)
        with np.errstate(divide="ignore", invalid="ignore"):
            cv = np.where(
                smallest > 0, jv * (sizes + doc.shingle_count) / (1.0 + jv) / smallest, 0.0
            )
        slack = 1e-9
        near = (smallest >= MIN_SHINGLES) & (
            (jv >= DUPLICATE_JACCARD - slack) | (cv >= DUPLICATE_CONTAINMENT - slack)
        )
        if doc.published is None:
            possible = near
            gaps = None
        else:
            ts = timestamp(doc.published)
            gaps = np.abs(self._ts[rows] - ts) / _DAY  # inf for undated rows
            undated = np.isinf(gaps)
            near &= undated | (gaps <= MAX_COPY_GAP_DAYS + slack)
            possible = near | (
                (gaps <= MAX_EVENT_GAP_DAYS + slack) & (jv >= EVENT_BODY_JACCARD - slack)
            )
        out = []
        for i in np.flatnonzero(possible).tolist():
            row = int(rows[i])
            j = float(jv[i])
            size = int(sizes[i])
            gap = None if gaps is None or np.isinf(gaps[i]) else float(gaps[i])
            words, years = self._title(row)
            same, _ = decide(
                j,
                containment(j, doc.shingle_count, size),
                title_similarity(doc.title_words, words),
                gap,
                doc.title_years,
                years,
                min(doc.shingle_count, size),
            )
            if same:
                out.append(self._keys[row])
        return sorted(out, key=str)
