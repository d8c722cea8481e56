"""Shared fixtures: a store built once from the repository's own data/ (no ../shared needed)."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from costmodel.store import paths as _paths
from costmodel import store

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "data"
SHARED_REFERENCE = REPO.parent / "shared" / "reference"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="session")
def built_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store built from data/ into a temporary folder, shared by the session (read-only use)."""
    path = tmp_path_factory.mktemp("store") / "costmodel.duckdb"
    store.build(path, DATA)
    return path


@pytest.fixture()
def db(built_db: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The session store, made the default for costmodel's functions in this test."""
    monkeypatch.setenv(_paths.ENV_DB, str(built_db))
    monkeypatch.setenv(_paths.ENV_DATA_DIR, str(DATA))
    yield built_db


@pytest.fixture()
def data_copy(tmp_path: Path) -> Path:
    """A writable copy of data/*.csv for tests that break an input file."""
    target = tmp_path / "data"
    target.mkdir()
    for csv_file in DATA.glob("*.csv"):
        shutil.copy(csv_file, target / csv_file.name)
    return target


@pytest.fixture()
def old_store(built_db: Path, tmp_path: Path) -> Path:
    """A private copy of a good store, to check a failed build leaves it byte-identical."""
    target = tmp_path / "old" / "costmodel.duckdb"
    target.parent.mkdir()
    shutil.copy(built_db, target)
    return target


@pytest.fixture()
def fresh(built_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private, writable copy of the session store and an empty imports folder (the tests that import into it).
    (tests/test_importers.py has its own ``fresh``: a store built from scratch.)"""
    db = tmp_path / "s.duckdb"
    shutil.copy(built_db, db)
    monkeypatch.setenv(_paths.ENV_DB, str(db))
    monkeypatch.setenv(_paths.ENV_DATA_DIR, str(DATA))
    monkeypatch.setenv(_paths.ENV_IMPORTS_DIR, str(tmp_path / "imports"))
    store.ensure_built(db)  # any rebuild (inputs edited since the session build) happens before a test looks
    yield tmp_path
