"""One error boundary (issue 14, part 3) for the importers, the writes of an import and ``--json`` output.

Every case runs the command line (``costmodel.outputs.cli.main``) and checks: the exit status (1; 2 for usage), one line on
standard error that names the file (or argument) and says what is accepted, no traceback, no "internal error", and
a store left exactly as it was (same row counts, same bytes) with nothing half-written in the imports folder.
"""

from __future__ import annotations

import csv
import errno
import importlib
import io
import json
import math
import os
import random
from pathlib import Path
from typing import Any

import duckdb
import pytest

from costmodel import catalog, store
from costmodel.outputs.cli import main

from .conftest import REPO, sha256

FIXTURES = Path(__file__).parent / "fixtures"
LAMBDA = FIXTURES / "skypilot" / "lambda" / "vms.csv"
RUNPOD = FIXTURES / "gpuhunt" / "runpod.csv"
LLAMA_CONFIG = FIXTURES / "hf_configs" / "meta-llama--Meta-Llama-3.1-8B_config.json"
LITELLM = FIXTURES / "litellm" / "model_prices_and_context_window.json"
VLLM = FIXTURES / "benchmarks" / "vllm_bench_serve.json"
PRICES = REPO / "examples" / "negotiated_prices.csv"
BENCH_ARGS = ["--model", "llama-3.1-8b", "--gpu", "h100", "--gpus", "1", "--engine", "vllm"]

KINDS: dict[str, tuple[list[str], str]] = {
    # kind: (extra arguments, words that say what the importer accepts)
    "skypilot": (["--provider", "lambda"], "SkyPilot"),
    "gpuhunt": (["--provider", "runpod"], "gpuhunt catalog"),
    "prices-csv": ([], "prices CSV"),
    "hf-config": ([], "Hugging Face config.json"),
    "litellm": ([], "LiteLLM"),
    "benchmark": (BENCH_ARGS, "vllm bench serve"),
}
CSV_KINDS = ("skypilot", "gpuhunt", "prices-csv")
JSON_KINDS = ("hf-config", "litellm", "benchmark")


def row_counts(db: Path) -> dict[str, int]:
    store.release(db)
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
    finally:
        con.close()


def one_line_error(capsys: pytest.CaptureFixture[str], argv: list[str], status: int = 1) -> str:
    """Run the CLI; check its exit status and that it printed exactly one error line, no traceback; return the line."""
    code = main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err and "internal error" not in err, err
    lines = err.strip().splitlines()
    assert code == status, err
    assert len(lines) == 1 and lines[0].startswith("costmodel: error: "), err
    return lines[0]


def untouched(fresh: Path, before: tuple[dict[str, int], str]) -> None:
    """The store as it was (row counts and bytes), no temporary copy beside it, no file in the imports folder."""
    db = fresh / "s.duckdb"
    assert (row_counts(db), sha256(db)) == before
    assert not [p for p in fresh.iterdir() if ".import-" in p.name or p.name.endswith(".wal")]
    imports = fresh / "imports"
    assert not (imports.exists() and [p for p in imports.rglob("*") if p.is_file()])


def snapshot(fresh: Path) -> tuple[dict[str, int], str]:
    db = fresh / "s.duckdb"
    return row_counts(db), sha256(db)


def bad_import(capsys: pytest.CaptureFixture[str], fresh: Path, kind: str, path: Path, *words: str,
               whole_file: bool = True) -> str:
    """Import a bad file: one line naming it and ``words``, store untouched. A file refused as a whole says what
    kind of file is accepted; a refused field says what the field accepts (in ``words``)."""
    before = snapshot(fresh)
    extra, accepted = KINDS[kind]
    line = one_line_error(capsys, ["import", kind, str(path), *extra])
    assert str(path) in line, line
    for w in ((accepted,) if whole_file else ()) + words:
        assert w in line, (w, line)
    untouched(fresh, before)
    return line


def csv_text(rows: list[list[str]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def edited_csv(source: Path, column: str, value: str, *, row_with: str = "") -> tuple[str, int]:
    """The CSV with ``column`` set to ``value`` in its first data row (containing ``row_with``), and that row's line."""
    rows = list(csv.reader(io.StringIO(source.read_text())))
    col = rows[0].index(column)
    index = next(i for i, r in enumerate(rows[1:], 1) if row_with in ",".join(r) and (r[1] or source != LAMBDA))
    rows[index][col] = value
    return csv_text([rows[0], rows[index]]), 2


GOOD = {"skypilot": (LAMBDA, "vms.csv"), "gpuhunt": (RUNPOD, "runpod.csv"), "prices-csv": (PRICES, "contract.csv"),
        "hf-config": (LLAMA_CONFIG, "acme--Tiny-8B_config.json"), "litellm": (LITELLM, "litellm.json"),
        "benchmark": (VLLM, "run.json")}


def write(fresh: Path, name: str, content: str | bytes) -> Path:
    path = fresh / "in" / name
    path.parent.mkdir(exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------
# 1. Importer input files


@pytest.mark.parametrize("kind", list(KINDS))
def test_deeply_nested_json(kind: str, fresh: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(fresh, GOOD[kind][1], "[" * 100_000 + "]" * 100_000)
    line = bad_import(capsys, fresh, kind, path)
    if kind in JSON_KINDS:
        assert "nested too deeply" in line


@pytest.mark.parametrize("kind", list(KINDS))
def test_random_bytes(kind: str, fresh: Path, capsys: pytest.CaptureFixture[str]) -> None:
    noise = bytes(random.Random(14).randrange(256) for _ in range(4096))
    path = write(fresh, GOOD[kind][1], b"\xff" + noise)  # 0xff never occurs in UTF-8
    bad_import(capsys, fresh, kind, path, f"{path}, line 1: is not UTF-8 text (byte 0xff at offset 0)")


@pytest.mark.parametrize("kind", list(KINDS))
def test_non_utf8_text(kind: str, fresh: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A file saved as Latin-1 (an e-acute on its second line): refused naming the line and byte, not misread."""
    source, name = GOOD[kind]
    text = source.read_text()
    text = text if "\n" in text.rstrip("\n") else "\n" + text  # a one-line file: start it with an empty line
    cut = text.index("\n") + 1
    raw = (text[:cut] + "caf\u00e9 " + text[cut:]).encode("latin-1")
    offset = cut + 3
    path = write(fresh, name, raw)
    bad_import(capsys, fresh, kind, path, f"{path}, line 2: is not UTF-8 text (byte 0xe9 at offset {offset})")


@pytest.mark.parametrize("kind", list(KINDS))
def test_folder_in_place_of_a_file(kind: str, fresh: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = fresh / "in" / "a-folder"
    folder.mkdir(parents=True)
    if kind == "skypilot":  # a folder is read as SkyPilot's catalogs/v8: one <cloud>/vms.csv per cloud
        line = bad_import(capsys, fresh, kind, folder, "no <cloud>/vms.csv files")
    else:
        line = bad_import(capsys, fresh, kind, folder, "is a folder, not a file")
    assert line


@pytest.mark.parametrize("kind", list(KINDS))
def test_symlink_loop(kind: str, fresh: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (fresh / "in").mkdir()
    a, b = fresh / "in" / "loop-a.csv", fresh / "in" / "loop-b.csv"
    os.symlink(b, a)
    os.symlink(a, b)
    bad_import(capsys, fresh, kind, a, "is a symbolic link that loops")


@pytest.mark.parametrize("kind", CSV_KINDS)
def test_header_only_csv(kind: str, fresh: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source, name = GOOD[kind]
    path = write(fresh, name, source.read_text().splitlines()[0] + "\n")
    bad_import(capsys, fresh, kind, path, "line 1: no rows")


@pytest.mark.parametrize("kind, words", [
    ("hf-config", "field num_hidden_layers: missing; a config.json needs num_hidden_layers, hidden_size"),
    ("litellm", "no entries: LiteLLM's price map is one JSON object of models"),
    ("benchmark", "a JSON object of none of the three benchmark formats; accepted: vLLM `vllm bench serve")])
def test_empty_json_object(kind: str, words: str, fresh: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad_import(capsys, fresh, kind, write(fresh, GOOD[kind][1], "{}\n"), words, whole_file=False)


HUGE = [("1e30", "too large"), ("9223372036854775807", "too large"), ("9223372036854775808", "too large")]


@pytest.mark.parametrize("value, words", HUGE)
@pytest.mark.parametrize("kind, column", [("skypilot", "AcceleratorCount"), ("gpuhunt", "gpu_count")])
def test_huge_counts_in_csv(kind: str, column: str, value: str, words: str, fresh: Path,
                            capsys: pytest.CaptureFixture[str]) -> None:
    text, line = edited_csv(GOOD[kind][0], column, value)
    path = write(fresh, GOOD[kind][1], text)
    bad_import(capsys, fresh, kind, path, f"line {line}, field {column}: {value!r} is {words}",
               "of at most 2,147,483,647 is expected", whole_file=False)


@pytest.mark.parametrize("value, words", [("1e30", "1e+30 is not a positive whole number"),
                                          (str(10**30), "too large"), (str(2**63 - 1), "too large"),
                                          (str(2**31), "too large")])
def test_huge_layer_counts_in_hf_config(value: str, words: str, fresh: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = LLAMA_CONFIG.read_text().replace('"num_hidden_layers": 32', f'"num_hidden_layers": {value}')
    path = write(fresh, "acme--Tiny_config.json", text)
    line_no = next(i for i, t in enumerate(text.splitlines(), 1) if "num_hidden_layers" in t)
    bad_import(capsys, fresh, "hf-config", path, f"line {line_no}, field num_hidden_layers: ", words, whole_file=False)


@pytest.mark.parametrize("layers", [2**31 - 1, 1_000_000])
def test_implausible_layer_count_is_refused(layers: int, fresh: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A count the store can hold but no model has (an MoE with 2**31 - 1 layers, once counted layer by layer)."""
    config = {**json.loads(LLAMA_CONFIG.read_text()), "num_hidden_layers": layers, "num_local_experts": 8,
              "num_experts_per_tok": 2}
    path = write(fresh, "acme--Tiny_config.json", json.dumps(config, indent=2))
    bad_import(capsys, fresh, "hf-config", path, "field total_params_b: ", "B parameters computed from the shapes: more than "
               "100,000 B is not a model (check num_hidden_layers", whole_file=False)


@pytest.mark.parametrize("field, value", [("completed", "1e30"), ("completed", str(2**63 - 1)), ("completed", "1" + "0" * 400),
                                          ("max_concurrency", "1e30")])
def test_huge_counts_in_benchmark(field: str, value: str, fresh: Path, capsys: pytest.CaptureFixture[str]) -> None:
    obj = json.loads(VLLM.read_text())
    text = json.dumps(obj).replace(f'"{field}": {json.dumps(obj[field])}', f'"{field}": {value}', 1)
    path = write(fresh, "run.json", text)
    before = snapshot(fresh)
    line = one_line_error(capsys, ["import", "benchmark", str(path), *BENCH_ARGS])
    assert f"{path}, line 1, field {field}: " in line and "too large" in line
    untouched(fresh, before)


@pytest.mark.parametrize("kind, column, value, words", [
    ("prices-csv", "usd_per_gpu_hour", "1e30", "breaks the rule CHECK ((usd_per_gpu_hour >= 0.01) AND (usd_per_gpu_hour <= 100))"),
    ("skypilot", "Price", "1e30", "breaks the rule CHECK ((usd_per_gpu_hour >= 0.01) AND (usd_per_gpu_hour <= 100))"),
    ("gpuhunt", "price", "1e30", "breaks the rule CHECK ((usd_per_gpu_hour >= 0.01) AND (usd_per_gpu_hour <= 100))"),
])
def test_huge_prices_name_the_file_and_line(kind: str, column: str, value: str, words: str, fresh: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """A rule of the store a row breaks is told against the imported file and its line (not an internal label)."""
    text, line = edited_csv(GOOD[kind][0], column, value)
    path = write(fresh, GOOD[kind][1], text)
    before = snapshot(fresh)
    got = one_line_error(capsys, ["import", kind, str(path), *KINDS[kind][0]])
    assert got.startswith(f"costmodel: error: {path}, line {line}, field usd_per_gpu_hour: ") and words in got
    untouched(fresh, before)


def test_huge_api_prices(fresh: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(fresh, "contract.csv", PRICES.read_text().replace("2.00,8.00", "1e30,8.00"))
    bad_import(capsys, fresh, "prices-csv", path, "line 3, field input_usd_per_mtok: 1e+30 is not a plausible price",
               "at most 10,000 USD per million tokens is accepted", whole_file=False)
    text = LITELLM.read_text().replace("2.5e-06", "1e30", 1)
    path = write(fresh, "litellm.json", text)
    line_no = next(i for i, t in enumerate(text.splitlines(), 1) if '"gpt-4o"' in t)
    bad_import(capsys, fresh, "litellm", path, f"line {line_no}, field gpt-4o.input_cost_per_token: 1e+30 USD per token "
                                               "is not a plausible price: at most 0.01 is accepted", whole_file=False)


BOM = "\ufeff"


@pytest.mark.parametrize("kind", list(KINDS))
def test_byte_order_mark_is_read_as_utf8(kind: str, fresh: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A UTF-8 byte-order mark (Excel's "CSV UTF-8") is accepted, and the file reads exactly as without it."""
    source, name = GOOD[kind]
    text = source.read_text()
    with_bom = write(fresh, name, (BOM + text).encode("utf-8"))
    extra = KINDS[kind][0] + (["--observed-on", "2026-11-01"] if kind not in ("prices-csv",) else [])
    if kind in ("skypilot", "gpuhunt"):
        extra += ["--skip-unknown"]
    assert main(["import", kind, str(with_bom), *extra, "--json"]) == 0, capsys.readouterr().err
    first = json.loads(capsys.readouterr().out)
    assert first["rows_added"] > 0
    if kind == "benchmark":  # its row ids come from the file's bytes: check the figure read instead
        got = store.query("SELECT tokens_per_s, num_prompts FROM throughput_measured WHERE starts_with(source_id, "
                          "'user-benchmark')").to_dicts()
        obj = json.loads(text)
        assert got == [{"tokens_per_s": obj["output_throughput"], "num_prompts": obj["completed"]}]
        return
    # the same file without the mark: every row is already there, so both read the same rows
    without = with_bom.with_name(name)
    without.write_text(text, encoding="utf-8")
    assert main(["import", kind, str(without), *extra, "--json"]) == 0
    second = json.loads(capsys.readouterr().out)
    assert (second["rows_added"], second["rows_already_present"]) == (0, first["rows_added"])


@pytest.mark.parametrize("kind, column", [("skypilot", "Price"), ("gpuhunt", "price"), ("prices-csv", "usd_per_gpu_hour")])
@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-Infinity"])
def test_nan_and_infinity_in_csv(kind: str, column: str, value: str, fresh: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text, line = edited_csv(GOOD[kind][0], column, value)
    path = write(fresh, GOOD[kind][1], text)
    before = snapshot(fresh)
    got = one_line_error(capsys, ["import", kind, str(path), *KINDS[kind][0]])
    assert got.startswith(f"costmodel: error: {path}, line {line}, field {column}: ")
    if "nan" in value.lower():
        assert f"is NaN ({value!r}): a number such as 2.49 is expected" in got
    else:
        assert f"{value!r} is infinite or too large: a finite number such as 2.49 is expected" in got
    untouched(fresh, before)


def test_nan_in_prices_csv_api_row(fresh: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(fresh, "contract.csv", PRICES.read_text().replace("2.00,8.00", "NaN,8.00"))
    bad_import(capsys, fresh, "prices-csv", path, "line 3, field input_usd_per_mtok: is NaN ('NaN'): a number such as "
               "2.49 is expected", whole_file=False)


@pytest.mark.parametrize("field", ["num_hidden_layers", "vocab_size"])
def test_nan_in_hf_config(field: str, fresh: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = json.loads(LLAMA_CONFIG.read_text())
    text = json.dumps({**config, field: math.nan}, indent=2)  # Python writes NaN, as some tools do
    path = write(fresh, "acme--Tiny_config.json", text)
    line_no = next(i for i, t in enumerate(text.splitlines(), 1) if f'"{field}"' in t)
    bad_import(capsys, fresh, "hf-config", path, f"line {line_no}, field {field}: nan is not a positive whole number",
               whole_file=False)


def test_nan_in_litellm(fresh: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = LITELLM.read_text().replace("2.5e-06", "NaN", 1)
    line_no = next(i for i, t in enumerate(text.splitlines(), 1) if '"gpt-4o"' in t)
    bad_import(capsys, fresh, "litellm", write(fresh, "litellm.json", text),
               f"line {line_no}, field gpt-4o.input_cost_per_token: is NaN: a number of USD per token is expected",
               whole_file=False)


@pytest.mark.parametrize("field", ["completed", "output_throughput", "mean_ttft_ms"])
def test_nan_in_benchmark(field: str, fresh: Path, capsys: pytest.CaptureFixture[str]) -> None:
    obj = json.loads(VLLM.read_text())
    path = write(fresh, "run.json", json.dumps({**obj, field: math.nan}))
    before = snapshot(fresh)
    line = one_line_error(capsys, ["import", "benchmark", str(path), *BENCH_ARGS])
    assert f"{path}, line 1, field {field}: nan is not a finite number" in line
    untouched(fresh, before)


# ---------------------------------------------------------------------------------------------
# 4. Wrong input that was silently accepted


@pytest.mark.parametrize("field, value, words", [
    ("output_throughput", 1e30, "1e+30 tokens/s disagrees with total_output_tokens / duration = 1984"),
    ("mean_ttft_ms", 1e30, "1e+30 ms is longer than the whole run (duration 8 s)"),
])
def test_vllm_figures_the_run_cannot_have(field: str, value: float, words: str, fresh: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    """vLLM's output_throughput is total_output_tokens / duration (15872 / 8 s = 1984 in the fixture); a mean
    latency is shorter than the run: a file that breaks either was edited or mixed up."""
    path = write(fresh, "run.json", json.dumps({**json.loads(VLLM.read_text()), field: value}))
    before = snapshot(fresh)
    line = one_line_error(capsys, ["import", "benchmark", str(path), *BENCH_ARGS])
    assert f"{path}, line 1, field {field}: {words}" in line
    untouched(fresh, before)


def test_negative_gpu_count_is_refused(fresh: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A gpuhunt offer of -2 GPUs was skipped as "no GPU" (and the rest imported): it is a broken row."""
    text, line = edited_csv(RUNPOD, "gpu_count", "-2")
    bad_import(capsys, fresh, "gpuhunt", write(fresh, "runpod.csv", text),
               f"line {line}, field gpu_count: '-2' is not a whole number of GPUs (0 or more)", whole_file=False)


def test_cached_price_above_input_price_is_refused(fresh: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(fresh, "contract.csv", PRICES.read_text().replace("2.00,8.00,1.00", "2.00,8.00,3.00"))
    bad_import(capsys, fresh, "prices-csv", path, "line 3, field cached_input_usd_per_mtok: 3 is above input_usd_per_mtok 2: "
               "a cached read is priced at most the input price", whole_file=False)


def test_infinite_parameter_count_is_refused(fresh: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(fresh, "acme--Tiny_config.json", LLAMA_CONFIG.read_text())
    before = snapshot(fresh)
    line = one_line_error(capsys, ["import", "hf-config", str(path), "--total-params-b", "inf", "--active-params-b", "8"])
    assert f"{path}, field total_params_b: inf is not a positive number of billions" in line
    untouched(fresh, before)


# ---------------------------------------------------------------------------------------------
# 2. A store or disk that cannot be written


def test_read_only_store(fresh: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = fresh / "s.duckdb"
    before = snapshot(fresh)
    db.chmod(0o444)
    try:
        line = one_line_error(capsys, ["import", "prices-csv", str(PRICES)])
    finally:
        db.chmod(0o644)
    assert f"the store {db} is read-only" in line and "give --db a writable copy" in line
    untouched(fresh, before)


def _refuse(exc: OSError):
    def raiser(*args: Any, **kwargs: Any) -> None:
        raise exc
    return raiser


@pytest.mark.parametrize("code", [errno.EACCES, errno.EROFS])
def test_read_only_folder(code: int, fresh: Path, monkeypatch: pytest.MonkeyPatch,
                          capsys: pytest.CaptureFixture[str]) -> None:
    """The store's folder cannot be written (the import's working copy goes beside the store)."""
    import costmodel.catalog.importers as importers

    db = fresh / "s.duckdb"
    before = snapshot(fresh)
    tmp_copy = f"{db}.import-{os.getpid()}"
    chmod = os.geteuid() != 0 and code == errno.EACCES  # root writes through chmod: simulate instead
    if chmod:
        fresh.chmod(0o555)
    else:
        monkeypatch.setattr(importers.shutil, "copyfile", _refuse(OSError(code, os.strerror(code), tmp_copy)))
    try:
        line = one_line_error(capsys, ["import", "prices-csv", str(PRICES)])
    finally:
        fresh.chmod(0o755)
    assert f"cannot write {tmp_copy} ({os.strerror(code)}: the folder is read-only)" in line
    assert f"nothing imported, the store {db}" in line and "needs both writable" in line
    untouched(fresh, before)


def test_full_disk_while_writing_the_import_files(fresh: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    before = snapshot(fresh)
    written: list[Path] = []

    def full(self: Path, data: bytes) -> int:
        written.append(self)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))

    with monkeypatch.context() as m:
        m.setattr(Path, "write_bytes", full)
        line = one_line_error(capsys, ["import", "prices-csv", str(PRICES)])
    assert written and f"cannot write {written[0]} (no space left on the disk)" in line
    assert "nothing imported" in line
    untouched(fresh, before)


def test_full_disk_while_copying_the_store(fresh: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    import costmodel.catalog.importers as importers

    before = snapshot(fresh)
    tmp_copy = f"{fresh / 's.duckdb'}.import-{os.getpid()}"
    monkeypatch.setattr(importers.shutil, "copyfile", _refuse(OSError(errno.ENOSPC, "No space left on device", tmp_copy)))
    line = one_line_error(capsys, ["import", "benchmark", str(VLLM), *BENCH_ARGS])
    assert f"cannot write {tmp_copy} (no space left on the disk)" in line
    untouched(fresh, before)


def test_full_disk_inside_duckdb(fresh: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """DuckDB reports a failed write of the working copy as its own IOException: the same one line."""
    import costmodel.catalog.importers as importers

    before = snapshot(fresh)
    real = importers.store.load_records

    def failing(*args: Any, **kwargs: Any) -> int:
        real(*args, **kwargs)
        raise duckdb.IOException("IO Error: Could not write file: No space left on device")

    with monkeypatch.context() as m:
        m.setattr(importers.store, "load_records", failing)
        line = one_line_error(capsys, ["import", "prices-csv", str(PRICES)])
    assert "No space left on device" in line and "nothing imported" in line
    untouched(fresh, before)


# ---------------------------------------------------------------------------------------------
# 3. JSON output never holds NaN or Infinity


def _strict(text: str) -> Any:
    def refuse(name: str) -> None:
        raise AssertionError(f"{name} in JSON output")
    return json.loads(text, parse_constant=refuse)


class _Estimate:
    def to_dict(self) -> dict[str, Any]:
        return {"weights_gib": math.nan, "kv_cache_gib": math.inf, "fits": True, "per_gpu": [1.5, -math.inf],
                "detail": {"overhead_gib": math.nan, "gpus": 2}}


def test_json_record_has_no_nan_or_infinity(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(importlib.import_module("costmodel.models.deployment"), "memory", lambda *a, **k: _Estimate())
    assert main(["memory", "--model", "llama-3.1-8b", "--json"]) == 0
    out = capsys.readouterr().out
    assert "NaN" not in out and "Infinity" not in out
    assert _strict(out) == {"weights_gib": None, "kv_cache_gib": None, "fits": True, "per_gpu": [1.5, None],
                            "detail": {"overhead_gib": None, "gpus": 2}}


def test_json_table_has_no_nan_or_infinity(db: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    import polars as pl

    frame = pl.DataFrame({"model_id": ["a", "b", "c"], "total_params_b": [8.0, math.nan, math.inf]})
    monkeypatch.setattr(catalog, "models", lambda **k: frame)
    assert main(["models", "--json"]) == 0
    assert [r["total_params_b"] for r in _strict(capsys.readouterr().out)] == [8.0, None, None]


def test_csv_cells_holding_lists_have_no_nan(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """--format csv writes a list field as JSON text: strict JSON too."""
    monkeypatch.setattr(importlib.import_module("costmodel.models.deployment"), "memory", lambda *a, **k: _Estimate())
    assert main(["memory", "--model", "llama-3.1-8b", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert _strict(rows[0]["per_gpu"]) == [1.5, None]


def test_a_message_with_line_breaks_is_printed_on_one_line(monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    from costmodel.errors import CostmodelError

    def broken(*args: Any, **kwargs: Any) -> None:
        raise CostmodelError("cannot read notes.csv, line 3: 'a\nb' is not a number")

    monkeypatch.setattr(importlib.import_module("costmodel.models.deployment"), "memory", broken)
    line = one_line_error(capsys, ["memory", "--model", "llama-3.1-8b"])
    assert line == "costmodel: error: cannot read notes.csv, line 3: 'a b' is not a number"


def test_deeply_nested_inference_perf_config(fresh: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The config.yaml read beside an inference-perf summary: nesting too deep for the YAML reader is one line too."""
    folder = fresh / "in" / "reports-20261118-140000"
    folder.mkdir(parents=True)
    summary = json.loads((FIXTURES / "benchmarks" / "inference_perf_summary.json").read_text())
    path = folder / "summary_lifecycle_metrics.json"
    path.write_text(json.dumps(summary, indent=2))
    (folder / "config.yaml").write_text("load: " + "[" * 100_000 + "]" * 100_000 + "\n")
    before = snapshot(fresh)
    line = one_line_error(capsys, ["import", "benchmark", str(path), "--model", "llama-3-8b", "--gpu", "h100-sxm",
                                   "--gpus", "1", "--engine", "vllm"])
    assert f"{folder / 'config.yaml'}: YAML nested too deeply to read: an inference-perf config.yaml is a mapping" in line
    untouched(fresh, before)


def test_remove_from_a_read_only_imports_folder(fresh: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", "prices-csv", str(PRICES), "--json"]) == 0
    files = json.loads(capsys.readouterr().out)["files_written"]
    assert main(["import", "--list", "--json"]) == 0
    import_id = json.loads(capsys.readouterr().out)[0]["import_id"]
    before = snapshot(fresh)
    code = errno.EACCES
    with monkeypatch.context() as m:
        m.setattr(Path, "unlink", _refuse(PermissionError(code, os.strerror(code))))
        line = one_line_error(capsys, ["import", "--remove", import_id])
    assert line.startswith(f"costmodel: error: cannot remove import {import_id}: deleting ")
    assert f"failed ({os.strerror(code)}); the imports folder {fresh / 'imports'} must be writable" in line
    assert all(Path(f).is_file() for f in files) and snapshot(fresh) == before
