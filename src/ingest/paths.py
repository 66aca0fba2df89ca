"""Where the checkout's own files are: the default taxonomy, metadata, labelled sets, floors.

The package is installed in editable mode from the checkout (`make install`), so these files
sit beside `src/`; computing the root once keeps a package move from breaking the defaults.
"""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
