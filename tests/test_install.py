"""The package installs with pip into a new virtual environment outside the repository and works there."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from .conftest import REPO


@pytest.mark.slow
def test_pip_install_outside_the_repo(tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    bin_dir = env_dir / "bin"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COSTMODEL_", "VIRTUAL_ENV", "PYTHONPATH"))}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")  # the user cache folder the store goes to
    work = tmp_path / "elsewhere"
    work.mkdir()
    run = lambda *args: subprocess.run(  # noqa: E731
        args, cwd=work, env=env, capture_output=True, text=True, timeout=900
    )
    pip = run(str(bin_dir / "python"), "-m", "pip", "install", "--quiet", str(REPO))
    assert pip.returncode == 0, pip.stderr[-3000:]

    imported = run(str(bin_dir / "python"), "-c", "import costmodel, costmodel._paths as p; print(p.data_dir()); print(p.db_path())")
    assert imported.returncode == 0, imported.stderr
    data_dir, db_path = imported.stdout.split()
    assert str(REPO) not in data_dir and data_dir.endswith("costmodel/_data")
    assert db_path.startswith(str(tmp_path / "cache"))

    built = run(str(bin_dir / "costmodel"), "db", "build", "--json")
    assert built.returncode == 0, built.stderr
    assert json.loads(built.stdout)["rows_per_table"]["models"] >= 30
    info = run(str(bin_dir / "costmodel"), "db", "info", "--json")
    assert info.returncode == 0, info.stderr
    assert json.loads(info.stdout)["tables"]["api_prices"]["rows"] >= 1000

    # COSTMODEL_DB overrides the location
    env["COSTMODEL_DB"] = str(tmp_path / "custom.duckdb")
    again = run(str(bin_dir / "costmodel"), "gpus", "H100", "--json")
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "custom.duckdb").is_file()
    assert sys.version_info >= (3, 11)
