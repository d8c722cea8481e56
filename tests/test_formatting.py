"""What a person reads (issue 12): column labels with units, values by their unit, readable CLI tables, assumptions that
say where each value came from, caveats that change the answer, and report parameters checked before a kernel starts."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from costmodel import CostmodelError, formatting
from costmodel.outputs import analysis, reports
from costmodel.outputs.cli import main
from costmodel.scenarios import ApiOption, SelfHostOption, Workload, caveat_flags, crossover, resolve_self_host

SCIENTIFIC = re.compile(r"\b\d(\.\d+)?e[+-]?\d+\b", re.I)
SNAKE = re.compile(r"\b[a-z]+(_[a-z]+)+\b")


@pytest.mark.parametrize(("column", "label"), [
    ("usd_per_month", "Monthly cost [USD]"),
    ("prefill_time_share", "Prefill time share"),
    ("memory_bandwidth_gb_per_s", "Memory bandwidth [GB/s]"),
    ("weights_gb", "Weights [GB]"),
    ("some_new_usd_per_mtok", "Some new [USD/M tokens]"),
    ("break_even_tokens_per_month__openai/gpt-4o", "Break-even [tokens/month] vs openai/gpt-4o"),
    ("Volume (tokens/month)", "Volume (tokens/month)"),  # already words: unchanged
])
def test_labels_carry_units(column: str, label: str) -> None:
    assert formatting.label(column) == label


@pytest.mark.parametrize(("column", "value", "text"), [
    ("usd_per_month", 11138.628, "$11,139"),
    ("usd_per_mtok", 0.0452, "$0.045"),
    ("usd_per_mtok", 3.712876, "$3.71"),
    ("break_even_tokens_per_month", 2_784_657_000.0, "2.78 billion"),
    ("break_even_tokens_per_month", None, "never"),
    ("utilisation", 0.126447, "13%"),
    ("cached_input_share", 0.05, "5.0%"),
    ("replicas", 12345, "12,345"),
    ("tokens_per_s", 3.0e9, "3,000,000,000"),
    ("open_weights", True, "yes"),
    ("note", None, ""),
])
def test_cells_are_formatted_by_their_unit(column: str, value: object, text: str) -> None:
    assert formatting.cell(column, value) == text


def test_excel_formats_follow_the_same_units() -> None:
    assert formatting.excel_format("usd_per_month", pl.Float64) == "$#,##0"
    assert formatting.excel_format("usd_per_mtok", pl.Float64) == "$#,##0.000"
    assert formatting.excel_format("batch_share", pl.Float64) == "0.0%"
    assert formatting.excel_format("break_even_tokens_per_month_low", pl.Float64) == "#,##0"
    assert formatting.excel_format("provider", pl.String) is None


def test_text_table_aligns_numbers_right_and_text_left() -> None:
    frame = pl.DataFrame({"option": ["a", "long option"], "usd_per_month": [12.5, 123456.0]})
    lines = formatting.text_table(frame).splitlines()
    assert lines[0].startswith("Option") and lines[0].endswith("Monthly cost [USD]")
    assert lines[2].startswith("a ") and lines[3].endswith("$123,456") and lines[2].endswith("$12.50")


def test_cost_prints_a_readable_long_table(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 12: `costmodel cost` printed 13 truncated snake_case columns and 2.2253e9. Now: one row per option with labels
    and units, then each self-host option against each API with its break-even in words."""
    args = ["cost", "--model", "llama-3.1-70b", "--gpu", "h100", "--gpu", "l40s", "--api", "openai/gpt-4o",
            "--api", "together/llama-3.3-70b", "--tokens-per-month", "3e9"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert not SCIENTIFIC.search(out), SCIENTIFIC.search(out)
    table, _, pairs = out.partition("Self-host against each API:")
    assert "Monthly cost [USD]" in table and "Cost [USD/M tokens]" in table and not SNAKE.search(table.splitlines()[0])
    assert len([line for line in table.splitlines() if line.startswith(("llama-3.1-70b", "openai", "together"))]) == 4
    rows = [line for line in pairs.splitlines() if line.startswith("llama-3.1-70b")]
    assert len(rows) == 4  # 2 self-host options x 2 APIs
    assert main([*args, "--json"]) == 0
    import json

    raw = json.loads(capsys.readouterr().out)
    h100 = next(r for r in raw if r["option"].startswith("llama-3.1-70b on 4x h100") and r["versus"] == "openai/gpt-4o")
    be = h100["break_even_tokens_per_month"]
    assert formatting.volume(be, "").strip() in next(r for r in rows if "h100" in r and "gpt-4o" in r)


def test_assumptions_say_where_each_value_came_from(db: Path) -> None:
    """Each value is a parameter (given), a default, a store row (with its source) or computed."""
    w = Workload(tokens_per_month=3e9, peak_to_mean=3.0)
    result = crossover(w, SelfHostOption(model="llama-3.1-70b", gpu="h100-sxm", pue_ratio=1.3, pricing_mode="buy"),
                       ApiOption.parse("openai/gpt-4o"))
    table = {r["Assumption"]: r for r in analysis.assumptions_table(result).iter_rows(named=True)}
    assert table["Peak-to-mean traffic [ratio]"]["Origin"] == "parameter"  # given, not the default 2
    assert table["Prompt length [tokens/request]"]["Origin"] == "default"
    assert table["GPUs per replica"]["Origin"] == "computed"
    assert table["API output price [USD/M tokens]"]["Origin"] == "store row"
    assert table["API output price [USD/M tokens]"]["Source"] == result.api.source
    assert table["Ownership: Power usage effectiveness [ratio]"]["Origin"] == "parameter"
    assert table["Ownership: Electricity [USD/kWh]"]["Origin"] == "store row"
    given = crossover(w, SelfHostOption(model="llama-3.1-70b", gpu="h100-sxm", gpus_per_replica=8), ApiOption.parse("openai/gpt-4o"))
    rows = {r["Assumption"]: r for r in analysis.assumptions_table(given, workload_source="/x/requests.parquet").iter_rows(named=True)}
    assert rows["GPUs per replica"]["Origin"] == "parameter" and rows["GPUs per replica"]["Value"] == "8"
    assert rows["GPU price [USD/GPU-hour]"]["Origin"] == "store row" and "providers" in rows["GPU price [USD/GPU-hour]"]["Source"]
    assert rows["Volume [tokens/month]"]["Origin"] == "request log" and rows["Volume [tokens/month]"]["Source"] == "requests.parquet"
    assert not [v for v in rows.values() if SCIENTIFIC.search(v["Value"])]


def test_caveats_name_consumer_hardware_weight_only_and_thin_evidence(db: Path) -> None:
    w = Workload(tokens_per_month=1e9)
    consumer = resolve_self_host(SelfHostOption(model="llama-3.1-8b", gpu="rtx-3090", precision="awq"), w)
    assert any("consumer hardware" in c for c in consumer.caveats)
    assert any("weight-only" in c for c in consumer.caveats)
    assert caveat_flags(consumer.caveats).count("consumer GPU") == 1
    datacenter = resolve_self_host(SelfHostOption(model="llama-3.1-8b", gpu="h100-sxm"), w)
    assert not any("consumer" in c or "weight-only" in c for c in datacenter.caveats)
    assert datacenter.caveats == datacenter.price_caveats + datacenter.deployment_caveats
    given = resolve_self_host(SelfHostOption(model="llama-3.1-8b", gpu="h100-sxm", output_tokens_per_s=1000.0,
                                             gpu_usd_per_hour=2.0), w)
    assert given.caveats == ()  # nothing drawn from the store or the model: nothing to caveat


def test_gpu_sizing_headline_names_the_cheapest_without_caveats() -> None:
    served = pl.DataFrame({"gpu_id": ["rtx-3090", "h100-sxm"], "precision": ["awq", "fp8"], "gpus_per_replica": [2, 1],
                           "usd_per_mtok": [1.08, 1.30], "usd_per_month": [3237.0, 3900.0],
                           "caveats": ["rtx-3090 is consumer hardware", ""]})
    text = analysis.gpu_sizing_headline(served, "llama-3.1-70b", 3e9)
    assert text.startswith("**The cheapest way to serve llama-3.1-70b is 2 x rtx-3090 in awq, $1.080 per million tokens")
    assert "**Caveat:** rtx-3090 is consumer hardware." in text
    assert "The cheapest without caveats: **1 x h100-sxm in fp8, $1.300" in text
    assert "without caveats" not in analysis.gpu_sizing_headline(served.reverse(), "m", 3e9)


def test_a_footer_lists_exactly_the_sources_given(db: Path) -> None:
    with pytest.raises(CostmodelError, match="needs the source ids"):
        analysis.sources_footer()
    text = analysis.sources_footer(["wingman-openai-prices"])
    assert len([line for line in text.splitlines() if line.startswith("- `")]) == 1


def test_report_parameters_are_range_checked_before_a_kernel_starts(db: Path, tmp_path: Path) -> None:
    """Issue 12: `-p pricing_mode ondemand` failed "in cell 4" from inside the kernel. The same checks as the CLI and
    Python (Workload, SelfHostOption) now refuse it first, naming the parameter, and nothing is written."""
    cases = [("crossover", {"pricing_mode": "ondemand"}, "parameter pricing_mode: pricing_mode 'ondemand' is not one of"),
             ("crossover", {"utilisation": 3}, "parameter utilisation: target_utilisation must be a share"),
             ("crossover", {"peak_to_mean": 0.5}, "parameter peak_to_mean: peak_to_mean must be at least 1"),
             ("gpu_sizing", {"tokens_per_month": -5}, "parameter tokens_per_month: tokens_per_month must be a positive"),
             ("sensitivity", {"samples": 0}, "parameter samples = 0 must be a whole number from 1"),
             ("validation", {"color_by": "colour"}, "parameter color_by = 'colour' is not one of engine_id"),
             ("model_selection", {"edge_device": "raspberry-pi-9"}, "unknown GPU 'raspberry-pi-9'")]
    for name, params, message in cases:
        with pytest.raises(CostmodelError, match=re.escape(message)):
            reports.run_report(name, params, out_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []
    assert reports.check_parameters("crossover", {"precision": None}) == {"precision": None}


@pytest.mark.parametrize("name", reports.available())
def test_papermill_help_shows_each_parameter_type(name: str) -> None:
    """Typed parameter cells: `papermill --help-notebook` names a type for each parameter, matching its default."""
    out = subprocess.run([sys.executable, "-m", "papermill", "--help-notebook", str(reports.notebooks_dir() / f"{name}.ipynb")],
                         capture_output=True, text=True, check=True).stdout
    assert "Unknown type" not in out
    for key, spec in reports.parameters(name).items():
        assert re.search(rf"^\s+{key}: (Optional\[)?{spec['type']}", out, re.M), (key, spec)


def test_tornado_table_reads_for_people_and_explains_a_still_input() -> None:
    tor = pl.DataFrame({"input": ["ops_usd_per_month", "api_price"], "source": ["people and tooling", "list price"],
                        "low_value": [0.0, 0.5], "high_value": [15000.0, 1.0], "saving_low": [0.82, 0.35],
                        "saving_high": [0.06, 0.35], "break_even_low": [2.1e10, None], "break_even_high": [None, None]})
    table = analysis.tornado_table(tor)
    first, second = table.row(0, named=True), table.row(1, named=True)
    assert first["Input"] == "Operations [USD/month]" and first["Range"] == "0 to 15,000"
    assert first["Break-even at low end [tokens/month]"] == "21.0 billion" and first["Break-even at high end [tokens/month]"] == "never"
    assert first["Range from"] == "people and tooling"
    assert second["Range from"] == "its whole range leaves the saving unchanged here"
