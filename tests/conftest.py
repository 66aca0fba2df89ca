"""Shared fixtures: one Prefect test harness, the sample sites on loopback, and a sample database
built by running the real `nightly` flow over them (once per test session)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TAXONOMY = REPO / "taxonomy.yaml"
SHARED_CORPUS = REPO.parent / "shared" / "corpus"


@pytest.fixture(scope="session")
def prefect_harness():
    """One temporary Prefect API for the whole session (starting one costs several seconds)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def sample_sites():
    from ingest.testing.samplesites import serve

    with serve(ports={}) as sites:
        yield sites


@pytest.fixture(scope="session")
def sample_sources(sample_sites, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("config") / "sources.yaml"
    path.write_text(sample_sites.sources_yaml(), encoding="utf-8")
    return path


def run_nightly(sources: Path, db: Path, **kw):
    from pipelines.nightly import nightly

    return nightly(
        sources_path=str(sources),
        taxonomy_path=str(TAXONOMY),
        db_path=str(db),
        return_state=True,
        **kw,
    )


@pytest.fixture(scope="session")
def sample_run(prefect_harness, sample_sources, sample_sites, tmp_path_factory):
    """(db path, final state, requests served) of one nightly run over the sample sites."""
    db = tmp_path_factory.mktemp("kb") / "kb.db"
    before = len(sample_sites.requests)
    state = run_nightly(sample_sources, db)
    # every test reading this knowledge base assumes a whole night: a run that failed half-way
    # (a flow crash after the first batch) must fail loudly here, not pass on partial rows
    assert state.is_completed() and state.name == "Completed", (state.name, state.message)
    return db, state, len(sample_sites.requests) - before


@pytest.fixture(scope="session")
def sample_db(sample_run) -> Path:
    """Path of a knowledge base built by the real pipeline over the sample sites (read-only use)."""
    return sample_run[0]


@pytest.fixture
def sample_db_copy(sample_db, tmp_path) -> Path:
    """A private copy (database plus raw archive) for tests that write."""
    dest = tmp_path / "kb"
    shutil.copytree(sample_db.parent, dest)
    return dest / sample_db.name


@pytest.fixture(scope="session")
def repo_taxonomy():
    """The repository's taxonomy.yaml, loaded once (compiling it takes about a second)."""
    from ingest.tag.taxonomy import load_taxonomy

    return load_taxonomy(TAXONOMY)
