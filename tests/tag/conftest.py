"""Shared fixtures for the tagger's tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.tag.taxonomy import load_taxonomy

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def repo_taxonomy():
    """The repository's taxonomy.yaml, loaded once."""
    return load_taxonomy(REPO / "taxonomy.yaml")
