"""Catalog look-ups (aliases, closest ids) and the costmodel command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from costmodel import UnknownIdError, get_gpu, get_model, resolve_gpu_id, resolve_model_id, resolve_precision_id
from costmodel.outputs.cli import main


@pytest.mark.parametrize(
    "name, expected",
    [
        ("H100", "h100-sxm"),
        ("h100", "h100-sxm"),
        ("NVIDIA H100 80GB HBM3", "h100-sxm"),
        ("H100 PCIe", "h100-pcie"),
        ("A100-80GB", "a100-80gb"),  # SkyPilot's name
        ("A100", "a100-40gb"),  # SkyPilot's A100 is the 40 GB part
        ("RTX4090", "rtx-4090"),
        ("NVIDIA GeForce RTX 4090", "rtx-4090"),
        ("Raspberry Pi 5", "raspberry-pi-5-8gb"),
        ("AMD Instinct MI300X", "mi300x"),
    ],
)
def test_gpu_aliases(db: Path, name: str, expected: str) -> None:
    assert resolve_gpu_id(name) == expected


@pytest.mark.parametrize(
    "name, expected",
    [
        ("meta-llama/Llama-3.1-8B-Instruct", "llama-3.1-8b"),
        ("meta-llama/Meta-Llama-3.1-70B-Instruct", "llama-3.1-70b"),
        ("Llama 3.1 405B", "llama-3.1-405b"),
        ("mistralai/Mixtral-8x7B-Instruct-v0.1", "mixtral-8x7b"),
        ("mistralai/Mistral-7B-v0.1", "mistral-7b"),
        ("Qwen/Qwen2.5-72B-Instruct", "qwen-2.5-72b"),
        ("google/gemma-3-4b-it", "gemma-3-4b"),
        ("deepseek-ai/DeepSeek-R1", "deepseek-r1"),
        ("deepseek-reasoner", "deepseek-r1"),
        ("microsoft/phi-4", "phi-4"),
        ("GPT-4o", "gpt-4o"),
        ("claude-3-5-sonnet", "claude-3.5-sonnet"),
    ],
)
def test_model_aliases(db: Path, name: str, expected: str) -> None:
    assert resolve_model_id(name) == expected


def test_unknown_ids_offer_the_closest(db: Path) -> None:
    with pytest.raises(UnknownIdError) as info:
        resolve_model_id("llama-3.1-9b")
    assert "llama-3.1-8b" in info.value.suggestions
    assert "unknown model 'llama-3.1-9b'; closest known: llama-3.1-8b" in str(info.value)
    with pytest.raises(UnknownIdError) as info:
        resolve_gpu_id("H100x")
    assert {"h100-sxm", "h100-pcie"} <= set(info.value.suggestions)
    with pytest.raises(UnknownIdError) as info:
        resolve_precision_id("int3")
    assert "awq" in info.value.suggestions  # int4 is an alias of awq: the suggestion is the id
    with pytest.raises(UnknownIdError):
        resolve_model_id("")


def test_typed_records(db: Path) -> None:
    model = get_model("meta-llama/Llama-3.1-8B-Instruct")
    assert (model.num_layers, model.num_kv_heads, model.head_dim) == (32, 8, 128)
    assert not model.is_moe and get_model("mixtral-8x7b").is_moe
    gpu = get_gpu("H100")
    assert gpu.memory_gib == 80 and gpu.tdp_w == 700


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_db_info_json(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "db", "info", "--json")
    assert code == 0
    info = json.loads(out)
    assert info["tables"]["models"]["rows"] >= 30
    assert info["providers"]["gpu_prices"] >= 8
    assert {"oldest_observed_on", "newest_observed_on", "stale_rows"} <= set(info["tables"]["gpu_prices"])


@pytest.mark.parametrize(
    "args, key",
    [
        (["models", "--json"], "model_id"),
        (["models", "--open", "--json"], "model_id"),
        (["models", "H100x"], None),
        (["models", "llama-3.1-8b", "--json"], "kv_layers"),
        (["gpus", "--json"], "gpu_id"),
        (["gpus", "H100", "--json"], "memory_bandwidth_gb_per_s"),
        (["prices", "--gpu", "H100", "--mode", "spot", "--json"], "usd_per_gpu_hour"),
        (["prices", "--model", "deepseek-r1", "--json"], "output_usd_per_mtok"),
        (["prices", "--api", "--provider", "deepseek", "--as-of", "2025-03-01", "--json"], "input_usd_per_mtok"),
    ],
)
def test_cli_queries(db: Path, capsys: pytest.CaptureFixture[str], args: list[str], key: str | None) -> None:
    code, out, err = run_cli(capsys, *args)
    if key is None:
        assert code == 1
        assert "unknown model 'H100x'" in err
        return
    assert code == 0, err
    rows = json.loads(out)
    assert rows and key in rows[0]


def test_cli_human_output(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "db", "info")
    assert code == 0 and "gpu_prices" in out and "stale" in out
    code, out, _ = run_cli(capsys, "gpus")
    assert code == 0 and "h100-sxm" in out


def test_cli_bad_date_is_a_usage_error(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["prices", "--as-of", "yesterday"])
    assert info.value.code == 2
    assert "not an ISO date" in capsys.readouterr().err


def test_cli_is_consistent(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--version; --db after the command; --pricing-mode on prices; report --list --json is JSON; dates out of range named."""
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0 and capsys.readouterr().out.startswith("costmodel ")
    assert main(["models", "--db", str(db), "--json"]) == 0 and json.loads(capsys.readouterr().out)
    assert main(["prices", "--gpu", "h100", "--pricing-mode", "spot"]) == 0 and "default spot price" in capsys.readouterr().out
    assert main(["report", "--list", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert listing["crossover"]["pue_ratio"] == {"default": -1.0, "type": "float", "help": listing["crossover"]["pue_ratio"]["help"]}
    base = ["crossover", "--model", "llama-3.1-8b", "--gpu", "h100", "--api", "openai/gpt-4o", "--tokens-per-month", "1e9"]
    assert main(base + ["--as-of", "2020-01-01"]) == 1
    assert "before the first on-demand observation, 2025-" in capsys.readouterr().err
    assert main(base + ["--as-of", "2999-01-01"]) == 1 and "is in the future" in capsys.readouterr().err
    assert main(base + ["--ops-usd-per-month", "nan"]) == 1 and "ops_usd_per_month must be >= 0, got nan" in capsys.readouterr().err


def test_bad_store_paths_and_counts_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 12: `--workers -1`, `--db` at a folder or at a file that is not DuckDB ended in tracebacks. Now: usage errors
    exit 2 (argparse), data errors exit 1, each one line naming what and what is accepted; nothing is written."""
    with pytest.raises(SystemExit) as info:
        main(["report", "--all", "--workers", "-1"])
    assert info.value.code == 2 and "--workers: -1 must be at least 1" in capsys.readouterr().err
    folder = tmp_path / "store"
    folder.mkdir()
    assert main(["models", "--db", str(folder)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"the store {folder} is a folder" in err and "Traceback" not in err
    assert main(["db", "build", "--db", str(folder)]) == 1 and "is a folder" in capsys.readouterr().err
    other = tmp_path / "notes.duckdb"
    other.write_text("not a database\n")
    assert main(["models", "--db", str(other)]) == 1 and "is not a DuckDB database file" in capsys.readouterr().err
    assert main(["db", "build", "--db", str(other)]) == 1
    assert other.read_text() == "not a database\n"  # refused, not overwritten
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.duckdb", "store"] and not list(folder.iterdir())


def test_exports_for_finance(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--format xlsx|csv|parquet with --output on cost, crossover, prices and workload: raw names and numbers, a workbook
    that opens in openpyxl, and one clear line for a missing --output."""
    import datetime as dt

    import openpyxl
    import polars as pl

    log = tmp_path / "log.parquet"
    pl.DataFrame({"timestamp": [dt.datetime(2026, 10, 1) + dt.timedelta(minutes=i) for i in range(120)], "model": ["m"] * 120,
                  "input_tokens": [900] * 120, "output_tokens": [200] * 120}).write_parquet(log)
    base = ["--model", "llama-3.1-70b", "--gpu", "h100", "--api", "openai/gpt-4o", "--tokens-per-month", "3e9"]
    commands = {"cost": ["cost", *base], "crossover": ["crossover", *base], "prices": ["prices", "--gpu", "h100"],
                "workload": ["workload", str(log)]}
    for name, args in commands.items():
        out = tmp_path / f"{name}.xlsx"
        assert main([*args, "--format", "xlsx", "--output", str(out)]) == 0, name
        book = openpyxl.load_workbook(out)
        sheet = book.active
        header = [c.value for c in sheet[1]]
        assert sheet.max_row >= 2 and all(isinstance(h, str) and " " not in h for h in header), (name, header)
    crossover_sheet = openpyxl.load_workbook(tmp_path / "crossover.xlsx").active
    header = [c.value for c in crossover_sheet[1]]
    value = crossover_sheet.cell(row=2, column=header.index("self_host_usd_per_month") + 1).value
    assert isinstance(value, float) and value > 0  # a number, not text
    assert main(["cost", *base, "--format", "parquet", "--output", str(tmp_path / "c.parquet")]) == 0
    assert pl.read_parquet(tmp_path / "c.parquet").height >= 2
    capsys.readouterr()
    assert main(["cost", *base, "--format", "csv"]) == 0 and capsys.readouterr().out.startswith("option,")
    assert main(["cost", *base, "--format", "xlsx"]) == 2
    assert "--format xlsx writes a file: give --output FILE.xlsx" in capsys.readouterr().err
