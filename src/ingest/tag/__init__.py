"""Stage 3, classify and tag: is an article about the programme, which initiatives and agencies.

Takes `ArticleRecord.extracted` (title, lead, text) and the taxonomy (taxonomy.yaml), and gives
`ArticleRecord.classification` (`Classification`: relevant, score, and `Tag`s that each carry
the exact evidence sentence, its field and offsets, and the rule that fired).

- `taxonomy`: taxonomy.yaml validated and expanded (aliases, context words, vetoes, roles).
- `classify`: aliases matched at syllable boundaries, sentence by sentence (`analyse`), and an
  aboutness score over what was found (`decide`).
"""

from .classify import TAGGER_VERSION, classify, compile_taxonomy, split_sentences, tagger_version
from .taxonomy import Taxonomy, default_taxonomy_path, load_taxonomy, sync_taxonomy

__all__ = [
    "TAGGER_VERSION",
    "Taxonomy",
    "classify",
    "compile_taxonomy",
    "default_taxonomy_path",
    "load_taxonomy",
    "split_sentences",
    "sync_taxonomy",
    "tagger_version",
]
