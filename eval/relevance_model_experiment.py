"""Would a learned relevance model beat the rules? The experiment behind the answer (no).

Issue 14 asked to choose the relevance mechanism by held-out numbers: better rules, or rules
plus a small learned model. This script trains scikit-learn's logistic regression on what the
rules found in each article (counts and flags: specific/generic/weak labels, title and head
positions, hit density, Hanoi and other-place sentences, UNESCO and veto sentences, acting
city bodies, English) and optionally on hashed syllable uni- and bigrams, and compares it with
the rules' own decision:

- 5-fold cross-validation on ../shared/tagging-dev: train on four folds plus the labelled set
  and the sample sites, score the fifth (folds by `quality.tagging.fold_of` of the id);
- trained on all of that, scored on the blind batches.

Measured 2026-12-01 with tagger-2 (relevance F1): the rules 0.954 on tagging-dev, 0.987 on
the 2026-12-01 blind batch; logistic regression on the rule features 0.960 in cross-validation
(one article more, for C from 0.1 to 1) and 0.987 on the blind batch; with hashed syllable
n-grams no better (0.960 / 0.987). A gain of one article in 146 is noise, and the first time
this ran (before the post-blind rules) the models were no better either (0.955 and 0.938 on
the blind batch, as the rules). So no model ships: it would add a dependency, a training step
and a file to keep in step with the taxonomy for no measurable gain on held-out data. Rerun it
when the labelled sets grow.

Needs scikit-learn, which is not a dependency of the package (`pip install scikit-learn`):
    .venv/bin/python eval/relevance_model_experiment.py
Nothing is written; no text of any set leaves this process.
"""

from __future__ import annotations

import math
import sys

import numpy as np
from scipy.sparse import csr_matrix, hstack, vstack
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.linear_model import LogisticRegression

from ingest.quality.tagging import (
    DEFAULT_SET,
    DEV_SET,
    EVAL_DIR,
    fold_of,
    load_set,
    samplesite_items,
)
from ingest.tag.classify import Analysis, analyse, rule_score
from ingest.tag.taxonomy import Taxonomy, default_taxonomy_path, load_taxonomy
from ingest.text.textnorm import fold

PROGRAMME = ("initiative", "topic")


def features(a: Analysis, tax: Taxonomy) -> list[float]:
    strong = [h for h in a.hits if h.entry.kind in PROGRAMME and not h.weak]
    labels: dict[str, list] = {}
    for h in strong:
        labels.setdefault(h.entry.label_id, []).append(h)
    spec = {k for k, hs in labels.items() if any(not h.entry.context for h in hs)}
    kind = {k: hs[0].entry.kind for k, hs in labels.items()}
    weak_only = {h.entry.label_id for h in a.hits if h.weak and h.entry.kind in PROGRAMME}
    sents = {(h.field.name, h.sentence) for h in strong}
    story = [s for f in a.fields for s in f.sentences if not s.boiler]
    score = rule_score(a, tax.relevance)
    local = {x.id for x in tax.agencies if x.level in ("city", "district") and not x.report_as}
    out = [
        min(score, 6.0),
        float(score >= tax.relevance.threshold),
        sum(1.0 for k in spec if kind[k] == "initiative"),
        sum(1.0 for k in set(labels) - spec if kind[k] == "initiative"),
        sum(1.0 for k in spec if kind[k] == "topic"),
        sum(1.0 for k in set(labels) - spec if kind[k] == "topic"),
        float(len(weak_only - set(labels))),
        float(any(h.field.name == "title" for h in strong)),
        float(any(h.sent.head for h in strong)),
        math.log1p(len(sents)),
        len(sents) / len(story) if story else 0.0,
        float(a.head_hanoi),
        float(a.other_subject),
        math.log1p(a.n_hanoi),
        math.log1p(a.n_other),
        math.log1p(sum(1 for s in story if s.confirm)),
        math.log1p(sum(1 for s in story if s.veto)),
        math.log1p(len({h.entry.label_id for h in a.hits} & local)),
    ]
    return out + [float(k in labels) for k in tax.initiative_ids]


def prf(gold: np.ndarray, pred: np.ndarray) -> str:
    tp, fp, fn = int((gold & pred).sum()), int((~gold & pred).sum()), int((gold & ~pred).sum())
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return f"P {p:.3f} R {r:.3f} F1 {2 * p * r / (p + r) if p + r else 0.0:.3f}"


def main() -> int:
    if not DEV_SET.exists():
        print(f"needs {DEV_SET}", file=sys.stderr)
        return 2
    tax = load_taxonomy(default_taxonomy_path())
    hv = HashingVectorizer(
        ngram_range=(1, 2),
        n_features=2**18,
        alternate_sign=False,
        norm=None,
        token_pattern=r"(?u)\b\w+\b",
    )

    def prepare(items):
        an = [analyse(i["title"], i["text"], tax, lead=i["lead"]) for i in items]
        x = np.array([features(a, tax) for a in an])
        text = [fold(" ".join((i["title"], i["lead"], i["text"]))) for i in items]
        return x, np.array([bool(i["relevant"]) for i in items]), hv.transform(text)

    extra = [prepare(load_set(DEFAULT_SET)), prepare(samplesite_items())]
    dev_items = load_set(DEV_SET)
    xd, yd, hd = prepare(dev_items)
    folds = np.array([fold_of(i["id"], 5) for i in dev_items])
    blinds = {p.stem: prepare(load_set(p)) for p in sorted(EVAL_DIR.glob("blind_*.jsonl"))}

    def fit(xs, ys, hs, c, ngrams):
        tf = TfidfTransformer(sublinear_tf=True).fit(vstack(hs)) if ngrams else None
        x = np.vstack(xs)
        if tf is not None:
            x = hstack([csr_matrix(x), tf.transform(vstack(hs))]).tocsr()
        model = LogisticRegression(C=c, class_weight="balanced", max_iter=5000)
        return model.fit(x, np.concatenate(ys)), tf

    def predict(model, tf, x, h):
        z = x if tf is None else hstack([csr_matrix(x), tf.transform(h)]).tocsr()
        return (model.predict_proba(z)[:, 1] >= 0.5) & (x[:, 0] > 0)  # never without evidence

    print(
        f"rules      dev {prf(yd, xd[:, 1] > 0)}  "
        + "  ".join(f"{n} {prf(y, x[:, 1] > 0)}" for n, (x, y, _h) in blinds.items())
    )
    for ngrams in (False, True):
        for c in (0.1, 0.3, 1.0, 3.0):
            pred = np.zeros(len(dev_items), dtype=bool)
            for k in range(5):
                tr = folds != k
                m, tf = fit(
                    [xd[tr], *(e[0] for e in extra)],
                    [yd[tr], *(e[1] for e in extra)],
                    [hd[tr], *(e[2] for e in extra)],
                    c,
                    ngrams,
                )
                pred[~tr] = predict(m, tf, xd[~tr], hd[~tr])
            m, tf = fit(
                [xd, *(e[0] for e in extra)],
                [yd, *(e[1] for e in extra)],
                [hd, *(e[2] for e in extra)],
                c,
                ngrams,
            )
            held = "  ".join(
                f"{n} {prf(y, predict(m, tf, x, h))}" for n, (x, y, h) in blinds.items()
            )
            name = "+ngrams" if ngrams else "features"
            print(f"{name:<9} C={c:<4g} dev-cv {prf(yd, pred)}  {held}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
