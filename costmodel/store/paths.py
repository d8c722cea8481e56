"""Where the seed CSVs and the DuckDB store live.

Inside a checkout the CSVs are ``data/*.csv`` and the store is ``data/costmodel.duckdb``.
Pip-installed, the CSVs ship inside the wheel (``costmodel/_data``) and the store goes to the
user's cache directory. ``COSTMODEL_DB`` overrides the store path and ``COSTMODEL_DATA_DIR``
the CSV folder.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent
"""The costmodel package folder (this module lives in its store/ layer)."""
SCHEMA_PATH = PACKAGE_DIR / "store" / "schema.sql"
DB_FILENAME = "costmodel.duckdb"
ENV_DB = "COSTMODEL_DB"
ENV_DATA_DIR = "COSTMODEL_DATA_DIR"
ENV_IMPORTS_DIR = "COSTMODEL_IMPORTS_DIR"


@lru_cache(maxsize=1)
def checkout_root() -> Path | None:
    """The repository root when running from a source checkout, else None (the package does not move: asked once)."""
    root = PACKAGE_DIR.parent
    if (root / "pyproject.toml").is_file() and (root / "data" / "sources.csv").is_file():
        return root
    return None


def data_dir() -> Path:
    """Folder holding the seed CSV files."""
    if os.environ.get(ENV_DATA_DIR):
        return Path(os.environ[ENV_DATA_DIR]).expanduser()
    root = checkout_root()
    if root is not None:
        return root / "data"
    return PACKAGE_DIR / "_data"


def user_cache_dir() -> Path:
    """Per-user cache folder for the store of a pip-installed package."""
    from platformdirs import user_cache_dir as _ucd

    return Path(_ucd("costmodel", appauthor=False))


def db_path() -> Path:
    """Path of the DuckDB store."""
    env = os.environ
    return _db_path(env.get(ENV_DB) or "", env.get("XDG_CACHE_HOME", ""), env.get("HOME", ""))


@lru_cache(maxsize=64)
def _db_path(env_value: str, _xdg_cache_home: str, _home: str) -> Path:
    """The store's path for these environment values (asked on every cached look-up, so remembered)."""
    if env_value:
        return Path(env_value).expanduser()
    root = checkout_root()
    if root is not None:
        return root / "data" / DB_FILENAME
    return user_cache_dir() / DB_FILENAME


def imports_dir() -> Path:
    """Folder of imported observations (one CSV per import, per table): data/imports in a checkout,
    else the user's data folder; ``COSTMODEL_IMPORTS_DIR`` overrides."""
    if os.environ.get(ENV_IMPORTS_DIR):
        return Path(os.environ[ENV_IMPORTS_DIR]).expanduser()
    if os.environ.get(ENV_DATA_DIR):
        return Path(os.environ[ENV_DATA_DIR]).expanduser() / "imports"
    root = checkout_root()
    if root is not None:
        return root / "data" / "imports"
    from platformdirs import user_data_dir

    return Path(user_data_dir("costmodel", appauthor=False)) / "imports"
