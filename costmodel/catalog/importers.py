"""Bring your own data: importers that append dated, sourced observations to the store.

Every import is transactional: the new rows are checked against every rule of their table on a
copy of the store, written as a CSV under the imports folder (``data/imports/<table>/`` in a
checkout), and only then does the updated store replace the old one. A failed import leaves the
store and the imports folder exactly as they were. Rows already present (same primary key) are
skipped, so importing the same file twice adds nothing the second time. Later builds load the
import files after the seed CSVs: nothing is overwritten, every observation stays.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import errno
import hashlib
import io
import json
import math
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from costmodel.store import paths as _paths
from costmodel import catalog, store
from costmodel.errors import CostmodelError, DataError


@dataclasses.dataclass
class ImportReport:
    """What an import did."""

    kind: str
    path: str
    table: str
    rows_read: int
    rows_added: int
    rows_already_present: int
    skipped: list[dict[str, Any]]
    files_written: list[str]

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _csv_bytes(frame: pl.DataFrame) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(frame.columns)
    for row in frame.iter_rows():
        writer.writerow(["" if v is None else (v.isoformat() if isinstance(v, dt.date) else v) for v in row])
    return buf.getvalue().encode("utf-8")


def append(table: str, frame: pl.DataFrame, *, label: str, sources: pl.DataFrame | None = None,
           db_path: Path | None = None, imports: Path | None = None,
           extra: list[tuple[str, pl.DataFrame]] | None = None, origin: str | Path | None = None) -> tuple[int, int, list[str]]:
    """Append rows to a store table (and their source rows, and ``extra`` rows of other tables), all or nothing.

    Runs under the store's writer lock, so concurrent imports queue and each sees the rows of
    the ones before it (the same import twice adds its rows once). The import files are written
    as ``.partial`` and renamed only after the store is replaced: a killed import leaves either
    all of its rows (store and files) or none (the next command removes the partial files and
    rebuilds the store from the files that are in place).

    ``origin`` is the file the rows came from: a rule a row breaks is then reported against that file, at the
    line in the frame's ``_source_line`` column where it has one. A store or imports folder that cannot be
    written (read-only, full) stops the import in one line, leaving both as they were.

    Returns (rows added, rows already present, files written).
    """
    return append_parts(table, [ImportPart(frame, label, sources, extra or [], origin)], db_path=db_path, imports=imports)[0]


@dataclasses.dataclass(frozen=True)
class ImportPart:
    """Rows of one file of an import: the table's rows, their label and source rows, rows of other tables, the file."""

    frame: pl.DataFrame
    label: str
    sources: pl.DataFrame | None = None
    extra: list[tuple[str, pl.DataFrame]] = dataclasses.field(default_factory=list)
    origin: str | Path | None = None


def append_parts(table: str, parts: list[ImportPart], *, db_path: Path | None = None,
                 imports: Path | None = None) -> list[tuple[int, int, list[str]]]:
    """``append`` for several files at once (a SkyPilot folder: one vms.csv per cloud) as one import: one store
    replacement and one import id, so a failure in any part (a rule, a full disk) lands none of them.

    Returns (rows added, rows already present, files written) per part."""
    path = store.ensure_built(db_path)
    imports = Path(imports) if imports else _paths.imports_dir()
    if path.is_file() and not path.stat().st_mode & 0o222:
        raise CostmodelError(f"the store {path} is read-only (no write permission): nothing imported; an import "
                             "rewrites the store, so make it writable (chmod u+w) or give --db a writable copy")
    try:
        with store.writer_lock(path):
            store.remove_leftovers(path, imports)
            return _append_locked(path, table, parts, imports)
    except (OSError, duckdb.IOException) as exc:
        raise _write_failure(exc, path, imports) from None


def _write_failure(exc: OSError | duckdb.IOException, path: Path, imports: Path) -> CostmodelError:
    """One line for an import that could not write (read-only or full disk): what, why, and that nothing changed."""
    if isinstance(exc, OSError):
        what = exc.filename or path
        why = exc.strerror or str(exc)
        if exc.errno == errno.ENOSPC:
            why = "no space left on the disk"
        elif exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            why = f"{why}: the folder is read-only"
    else:
        what, why = path, " ".join(str(exc).split())
    return CostmodelError(f"cannot write {what} ({why}): nothing imported, the store {path} and the imports folder "
                          f"{imports} are unchanged; an import needs both writable, with room for a copy of the store")


def _append_locked(path: Path, table: str, parts: list[ImportPart], imports: Path) -> list[tuple[int, int, list[str]]]:
    store.release(path)  # another writer may have replaced the store since this process last read it
    tmp = path.with_name(f"{path.name}.import-{os.getpid()}")
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%f")
    pending: dict[Path, bytes] = {}
    partials: list[Path] = []
    counts: list[tuple[int, int, list[Path]]] = []
    try:
        shutil.copyfile(path, tmp)
        con = duckdb.connect(str(tmp))
        try:
            for part in parts:
                digest = hashlib.sha256(part.frame.drop(SOURCE_LINE, strict=False).write_csv().encode()).hexdigest()[:10]
                staged: list[tuple[str, pl.DataFrame]] = []
                # sources first, then registries (extra), then the observations: the order of the files' renames
                for tbl, rows in ([("sources", part.sources)] if part.sources is not None else []) + part.extra:
                    staged.append((tbl, _stage(con, tbl, rows, f"{part.label} ({tbl} row)", part.origin)))
                new = _stage(con, table, part.frame, part.label, part.origin)
                staged.append((table, new))
                files = []
                for tbl, rows in staged:
                    if rows.height:
                        folder = imports / tbl
                        folder.mkdir(parents=True, exist_ok=True)
                        target = folder / f"{stamp}-{len(pending)}-{file_slug(part.label)}-{digest}.csv"
                        pending[target] = _csv_bytes(rows)
                        files.append(target)
                counts.append((new.height, part.frame.height - new.height, files))
            for target, content in pending.items():
                partial = target.with_name(target.name + ".partial")
                partial.write_bytes(content)
                partials.append(partial)
            con.execute("UPDATE build_info SET value = ? WHERE key = 'input_sha256'",
                        [store.input_digest(_paths.data_dir(), imports, pending)])
            con.execute("CHECKPOINT")
        finally:
            con.close()
        store.replace_store(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        tmp.with_name(tmp.name + ".wal").unlink(missing_ok=True)
        for f in partials:
            f.unlink(missing_ok=True)
        raise
    try:
        for partial, target in zip(partials, pending):  # sources first: a kill in between leaves only harmless source rows
            os.replace(partial, target)
    except OSError as exc:  # the store already has the rows: say so, and how the next command settles it
        raise CostmodelError(f"cannot finish the import: renaming {exc.filename} failed ({exc.strerror}); the next "
                             "costmodel command removes its .partial files and rebuilds the store without it, so run the "
                             "import again once the imports folder is writable") from None
    return [(added, already, [str(f) for f in files]) for added, already, files in counts]


IMPORT_ID_LENGTH = len("20261201T120000000000")
"""An import's id: the UTC time stamp its files' names start with."""


def list_imports(imports: Path | None = None) -> pl.DataFrame:
    """Your imports, oldest first: id, label, tables, rows and files (one row per import)."""
    folder = Path(imports) if imports else _paths.imports_dir()
    rows: dict[str, dict[str, Any]] = {}
    for f in sorted(folder.glob("*/*.csv")) if folder.is_dir() else []:
        import_id = f.name[:IMPORT_ID_LENGTH]
        label = re.sub(r"^\d+-", "", f.stem[IMPORT_ID_LENGTH + 1:]).rsplit("-", 1)[0]
        entry = rows.setdefault(import_id, {"import_id": import_id, "labels": [], "tables": [], "rows": 0, "files": []})
        entry["tables"].append(f.parent.name)
        entry["rows"] += max(sum(1 for _ in f.open(encoding="utf-8")) - 1, 0)
        entry["files"].append(str(f))
        entry["labels"].append((f.parent.name == "sources", label))  # an import is named by its observations' files
    out = [{"import_id": r["import_id"],
            "label": ", ".join(dict.fromkeys([label for is_source, label in r["labels"] if not is_source]
                                             or [label for _, label in r["labels"]])),
            "tables": ", ".join(dict.fromkeys(r["tables"])), "rows": r["rows"], "files": "; ".join(r["files"])}
           for r in rows.values()]
    return pl.DataFrame(out, schema={"import_id": pl.String, "label": pl.String, "tables": pl.String, "rows": pl.Int64,
                                     "files": pl.String})


def remove_import(import_id: str, *, db_path: Path | None = None, imports: Path | None = None) -> list[str]:
    """Undo an import: delete its files and rebuild the store from what is left (under the writer lock)."""
    folder = Path(imports) if imports else _paths.imports_dir()
    known = list_imports(folder)
    if import_id not in known["import_id"].to_list():
        listing = ", ".join(f"{r['import_id']} ({r['label']})" for r in known.iter_rows(named=True)) or "none"
        raise CostmodelError(f"no import {import_id!r}; your imports: {listing} (see costmodel import --list)")
    path = Path(db_path) if db_path else _paths.db_path()
    with store.writer_lock(path):
        files = [f for f in folder.glob(f"*/{import_id}*.csv")]
        for f in files:
            try:
                f.unlink()
            except OSError as exc:
                raise CostmodelError(f"cannot remove import {import_id}: deleting {f} failed ({exc.strerror}); the imports "
                                     f"folder {folder} must be writable"
                                     + (f" ({len(files) - files.index(f)} of its {len(files)} files left: run --remove "
                                        "again once it is)" if files.index(f) else "")) from None
        store.build(path, _paths.data_dir(), imports=folder)
    return [str(f) for f in files]


def file_slug(text: str) -> str:
    """A file name as a short id part: lower-case letters and digits, hyphens between [at most 40 characters]."""
    return re.sub(r"[^a-z0-9]+", "-", Path(text).name.lower()).strip("-")[:40] or "import"


SOURCE_LINE = "_source_line"
"""Optional column of a frame given to ``append``: the line of the imported file each row came from (not stored)."""
INTEGER_MAX = 2**31 - 1
"""The largest whole number an INTEGER column of the store holds (DuckDB's 32-bit INTEGER)."""


def _stage(con: duckdb.DuckDBPyConnection, table: str, rows: pl.DataFrame, label: str,
           origin: str | Path | None) -> pl.DataFrame:
    """Load the rows of ``rows`` that ``table`` lacks (on ``con``, uncommitted) and return them; a rule a row breaks is
    reported against ``origin`` (the imported file), at its ``_source_line`` where the rows carry one."""
    lines = rows[SOURCE_LINE].to_list() if SOURCE_LINE in rows.columns and origin is not None else None
    rows = rows.drop(SOURCE_LINE, strict=False)
    try:
        new, new_lines = _new_rows(con, table, rows, str(origin) if lines else label, lines)
        if new.height:
            store.load_records(con, table, store.Records(str(origin) if lines else label, list(new.columns),
                                                         [list(r) for r in new.iter_rows()], new_lines))
    except DataError as exc:
        if origin is None or lines:
            raise
        raise DataError(str(origin), None, exc.field, f"{exc.detail} (in the {table} row made from it)") from None
    return new


def _new_rows(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame, label: str = "import",
              lines: list[int] | None = None) -> tuple[pl.DataFrame, list[int]]:
    """Rows of ``frame`` whose primary key is not in ``table`` yet (duplicates within the frame kept once), and the
    line of each (``lines``, else its position in the frame, from 1)."""
    pk = con.execute("SELECT constraint_column_names FROM duckdb_constraints() WHERE table_name = ? "
                     "AND constraint_type = 'PRIMARY KEY'", [table]).fetchall()
    if not pk:
        return frame
    keys = list(pk[0][0])
    cols = [r[0] for r in con.execute("SELECT column_name FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index",
                                      [table]).fetchall()]
    rules = store.table_rules(con, table)
    records = store.Records(label, list(frame.columns),
                            [[None if v is None else str(v) for v in row] for row in frame.iter_rows()],
                            list(lines) if lines else list(range(1, frame.height + 1)))
    _check_integer_range(rules, records)
    typed = store.typed_frame(rules, records)
    existing = con.sql(f"SELECT {', '.join(keys)} FROM {table}").pl()
    fresh = typed.unique(subset=keys, keep="first", maintain_order=True)
    if existing.height:
        fresh = fresh.join(existing, on=keys, how="anti", nulls_equal=True)
    return fresh.select(cols).cast({c: pl.String for c in cols}), fresh["_line"].to_list()


def _check_integer_range(rules: store.TableRules, records: store.Records) -> None:
    """Whole numbers too large for the store's INTEGER columns, refused naming the line and field (else they fail
    deep in the loader as an overflow)."""
    index = {h: i for i, h in enumerate(records.header)}
    for col in rules.columns:
        limit = {"INTEGER": INTEGER_MAX, "BIGINT": 2**63 - 1}.get(col.data_type)
        if limit is None or col.name not in index:
            continue
        for row, line in zip(records.rows, records.lines):
            raw = row[index[col.name]]
            if raw is None:
                continue
            try:
                value: float = int(raw)
            except ValueError:
                try:
                    value = float(raw)
                except ValueError:
                    continue  # not a number at all: the loader says so
            if abs(value) > limit:
                raise DataError(records.label, line, col.name, f"{raw} is beyond the store's whole-number range "
                                                               f"(at most {limit:,})")


# ---------------------------------------------------------------------------------------------
# SkyPilot catalogue


SKYPILOT_PROVIDERS = {"oci": "oracle", "do": "digitalocean", "lambda_cloud": "lambda", "vast": "vast", "cudo": "cudo",
                      "fluidstack": "fluidstack", "paperspace": "paperspace", "runpod": "runpod", "nebius": "nebius",
                      "hyperbolic": "hyperbolic", "ibm": "ibm", "scp": "samsung-sds", "azure": "azure", "gcp": "gcp", "aws": "aws"}
"""SkyPilot's cloud folder names mapped to this project's provider ids (gpu_providers)."""


def _registered_provider(path: Path, candidates: list[str], db_path: Path | None, aliases: dict[str, str] | None = None) -> str:
    """The first of ``candidates`` (lower-cased, through ``aliases``) registered in gpu_providers; else one clear error."""
    known = store.query("SELECT provider FROM gpu_providers ORDER BY 1", db_path=db_path)["provider"].to_list()
    for name in candidates:
        name = (aliases or {}).get(name.lower(), name.lower())
        if name in known:
            return name
    raise DataError(str(path), None, "provider",
                    f"{candidates[0].lower()!r} is not a registered GPU provider (gpu_providers: {', '.join(known)}); "
                    "give --provider with one of them")


def _refuse_unknown(path: Path, unknown: dict[str, list[int]], field: str, noun: str) -> None:
    """Stop an import that met names the catalog does not know, listing each with its first lines."""
    if not unknown:
        return
    listing = "; ".join(f"{name} (lines {', '.join(map(str, ls[:5]))}{'...' if len(ls) > 5 else ''})" for name, ls in unknown.items())
    raise DataError(str(path), min(min(ls) for ls in unknown.values()), field,
                    f"unknown {noun}(s), nothing loaded: {listing}; add them to gpu_aliases or pass --skip-unknown")


def _skypilot_provider(path: Path, given: str | None, db_path: Path | None) -> str:
    """The provider of a SkyPilot catalogue file: as given, else its folder (catalogs/v8/<cloud>/vms.csv), else
    its name's first word (lambda-vms.csv); it must be registered in gpu_providers."""
    candidates = [given] if given else [path.parent.name, re.split(r"[-_.]", path.stem)[0]]
    return _registered_provider(path, candidates, db_path, SKYPILOT_PROVIDERS)


GCP_PLACEHOLDER_PRICE = 700.0
"""SkyPilot's GCP fetcher writes 700 where a SKU has no published price (fetch_gcp.py: TPU_V6E_MAX_PRICE = 700)."""
GCP_FIXED_HOSTS = {
    "A100": {1: ["a2-highgpu-1g"], 2: ["a2-highgpu-2g"], 4: ["a2-highgpu-4g"], 8: ["a2-highgpu-8g"], 16: ["a2-megagpu-16g"]},
    "A100-80GB": {1: ["a2-ultragpu-1g"], 2: ["a2-ultragpu-2g"], 4: ["a2-ultragpu-4g"], 8: ["a2-ultragpu-8g"]},
    "L4": {1: ["g2-standard-4", "g2-standard-8", "g2-standard-12", "g2-standard-16", "g2-standard-32"], 2: ["g2-standard-24"],
           4: ["g2-standard-48"], 8: ["g2-standard-96"]},
    "H100": {1: ["a3-highgpu-1g"], 2: ["a3-highgpu-2g"], 4: ["a3-highgpu-4g"], 8: ["a3-highgpu-8g"]},
    "H100-MEGA": {8: ["a3-megagpu-8g"]}, "H200": {8: ["a3-ultragpu-8g"]}, "B200": {8: ["a4-highgpu-8g"]},
}
"""GPUs that GCP sells only inside one machine family: the host for each count (SkyPilot gcp_catalog.py
_ACC_INSTANCE_TYPE_DICTS @0052610); the cheapest listed host in the zone is taken."""
GCP_N1_CPUS = {"K80": {1: 4, 2: 8, 4: 16, 8: 32, 16: 64}, "V100": {1: 8, 2: 16, 4: 32, 8: 64}, "T4": {1: 4, 2: 8, 4: 48},
               "P100": {1: 8, 2: 16, 4: 32, 8: 64}, "DEFAULT": {1: 8, 2: 16, 4: 32, 8: 64, 16: 128}}
"""Other GPUs attach to an N1 VM: the cheapest n1-standard/highmem/highcpu with at least these vCPUs and 4 GiB per vCPU
(SkyPilot gcp_catalog.py _NUM_ACC_TO_NUM_CPU, _DEFAULT_GPU_MEMORY_CPU_RATIO = 4)."""


def _maybe_float(text: str) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def _gcp_hosts(rows: list[dict[str, str]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """GCP VM rows without accelerators, by (region, zone), with prices as numbers (placeholders left out)."""
    out: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in rows:
        if r["AcceleratorName"].strip() or not r["InstanceType"].strip() or not r["Price"].strip():
            continue
        try:
            price = float(r["Price"])
            spot = float(r["SpotPrice"]) if r["SpotPrice"].strip() else None
            cpus, mem = float(r.get("vCPUs") or 0), float(r.get("MemoryGiB") or 0)
        except ValueError:
            continue
        if price == GCP_PLACEHOLDER_PRICE:
            continue
        out.setdefault((r["Region"].strip(), r.get("AvailabilityZone", "").strip()), []).append(
            {"InstanceType": r["InstanceType"].strip(), "Price": price, "SpotPrice": None if spot == GCP_PLACEHOLDER_PRICE else spot,
             "vCPUs": cpus, "MemoryGiB": mem})
    return out


def _gcp_host_for(hosts: dict[tuple[str, str], list[dict[str, Any]]], accel: str, count: int, region: str,
                  zone: str) -> dict[str, Any] | None:
    """The VM a GCP accelerator row attaches to, as SkyPilot picks it: a fixed family, else the cheapest fitting N1."""
    here = hosts.get((region, zone), [])
    if accel in GCP_FIXED_HOSTS:
        names = GCP_FIXED_HOSTS[accel].get(count, [])
        fits = [h for h in here if h["InstanceType"] in names]
    else:
        cpus = GCP_N1_CPUS.get(accel, GCP_N1_CPUS["DEFAULT"]).get(count)
        if cpus is None:
            return None
        fits = [h for h in here if h["InstanceType"].startswith(("n1-standard", "n1-highmem", "n1-highcpu"))
                and h["vCPUs"] >= cpus and h["MemoryGiB"] >= 4 * cpus]
    return min(fits, key=lambda h: h["Price"]) if fits else None


SKYPILOT_COLUMNS = ("InstanceType", "AcceleratorName", "AcceleratorCount", "Price", "SpotPrice", "Region")
SKYPILOT_ACCEPTED = f"a SkyPilot catalogue vms.csv (UTF-8 CSV with columns {', '.join(SKYPILOT_COLUMNS)})"


def _read_bytes(path: Path, accepted: str) -> bytes:
    """A file's bytes; a folder, a missing file, a symbolic-link loop or an unreadable file refused in one line."""
    path = Path(path)
    try:
        if path.is_dir():
            raise DataError(str(path), None, None, f"is a folder, not a file; expected {accepted}")
        return path.read_bytes()
    except FileNotFoundError:
        raise DataError(str(path), None, None, f"file not found; expected {accepted}") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise DataError(str(path), None, None, "is a symbolic link that loops (too many levels of symbolic links); "
                                                   f"give the file itself, {accepted}") from None
        raise DataError(str(path), None, None, f"cannot be read ({exc.strerror or exc}); expected {accepted}") from None


def _decode(path: Path, raw: bytes, accepted: str) -> str:
    """UTF-8 text (a leading byte-order mark dropped); other bytes refused naming the line and offset."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataError(str(path), line, None, f"is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
                                               f"expected {accepted}, saved as UTF-8") from None


def _read_table(path: Path, accepted: str = "a UTF-8 CSV file") -> tuple[list[str], list[dict[str, str]], list[int]]:
    """A CSV file's header, rows (by column name) and line numbers; a byte-order mark is read as UTF-8's, not as part
    of the first column's name; every refusal names the file and ends with what is ``accepted``."""
    path = Path(path)
    _decode(path, _read_bytes(path, accepted), accepted)
    try:
        records = store.read_csv_records(path)
    except DataError as exc:
        raise DataError(exc.file, exc.line, exc.field, f"{exc.detail}; expected {accepted}") from None
    if records.header:
        records.header[0] = records.header[0].removeprefix("\ufeff").strip()
    rows = [dict(zip(records.header, [v or "" for v in r])) for r in records.rows]
    for row, line, raw in zip(rows, records.lines, records.rows):
        if len(raw) != len(records.header):
            raise DataError(str(path), line, None, f"has {len(raw)} fields, the header has {len(records.header)} (truncated?)")
    return records.header, rows, records.lines


def import_skypilot(path: Path, *, provider: str | None = None, observed_on: dt.date | None = None,
                    source_id: str | None = None, skip_unknown: bool = False, db_path: Path | None = None,
                    imports: Path | None = None) -> ImportReport:
    """Import a SkyPilot catalogue vms.csv (any cloud) as gpu_prices rows.

    Columns are read by name; Price and SpotPrice are per instance and divided by
    AcceleratorCount; rows without an accelerator are skipped; a spot price equal to the
    on-demand price is not a spot price. An accelerator the catalog does not know stops the import
    (listing every one, with lines) unless ``skip_unknown``, which leaves those rows out and lists them.
    """
    path = Path(path)
    if path.is_dir():
        return import_skypilot_folder(path, observed_on=observed_on, skip_unknown=skip_unknown, db_path=db_path,
                                      imports=imports)
    frame, sources, skipped, read = _parse_skypilot(path, provider=provider, observed_on=observed_on, source_id=source_id,
                                                    skip_unknown=skip_unknown, db_path=db_path)
    provider = frame["provider"][0]
    added, already, files = append("gpu_prices", frame, label=f"skypilot-{provider}", sources=sources, db_path=db_path,
                                   imports=imports, origin=path)
    return ImportReport("skypilot", str(path), "gpu_prices", read, added, already, skipped, files)


def import_skypilot_folder(folder: Path, *, observed_on: dt.date | None = None, skip_unknown: bool = False,
                           db_path: Path | None = None, imports: Path | None = None) -> ImportReport:
    """Import a whole SkyPilot catalog folder (catalogs/v8: one <cloud>/vms.csv per cloud).

    Every file is read and checked first, then all are appended as one import (one store replacement, one
    import id for ``import --remove``): a bad file, an unknown accelerator, a broken rule or a full disk in any
    cloud lands none of them.
    """
    files = sorted(Path(folder).glob("*/vms*.csv"))
    if not files:
        raise DataError(str(folder), None, None, "no <cloud>/vms.csv files: give SkyPilot's catalogs/v8 folder or one vms.csv")
    parsed = [_parse_skypilot(f, observed_on=observed_on, skip_unknown=skip_unknown, db_path=db_path) for f in files]
    parts = [ImportPart(frame, f"skypilot-{frame['provider'][0]}", sources, origin=f)
             for f, (frame, sources, _, _) in zip(files, parsed)]
    results = append_parts("gpu_prices", parts, db_path=db_path, imports=imports)  # every cloud, or none
    skipped = [{**x, "file": str(f)} for f, (_, _, skip, _) in zip(files, parsed) for x in skip]
    return ImportReport("skypilot", str(folder), "gpu_prices", sum(p[3] for p in parsed), sum(r[0] for r in results),
                        sum(r[1] for r in results), skipped, [w for r in results for w in r[2]])


def _parse_skypilot(path: Path, *, provider: str | None = None, observed_on: dt.date | None = None,
                    source_id: str | None = None, skip_unknown: bool = False,
                    db_path: Path | None = None) -> tuple[pl.DataFrame, pl.DataFrame, list[dict[str, Any]], int]:
    """One SkyPilot vms.csv as gpu_prices rows, its source row, what was skipped and the rows read (nothing written)."""
    header, rows, lines = _read_table(path, SKYPILOT_ACCEPTED)
    if not rows:
        raise DataError(str(path), 1, None, "no rows: a SkyPilot vms.csv has one row per instance type and region")
    missing = [c for c in SKYPILOT_COLUMNS if c not in header]
    if missing:
        raise DataError(str(path), 1, missing[0], f"missing column; a SkyPilot vms.csv has {', '.join(SKYPILOT_COLUMNS)}"
                        " (plus AvailabilityZone, vCPUs, MemoryGiB, GpuInfo)")
    provider = _skypilot_provider(path, provider, db_path)
    observed_on = observed_on or dt.date.today()
    source_id = source_id or f"skypilot-catalog-{provider}"
    out, skipped, unknown = [], [], {}
    gcp = provider == "gcp"
    hosts = _gcp_hosts(rows) if gcp else {}
    for row, line in zip(rows, lines):
        accel = row["AcceleratorName"].strip()
        if not accel:
            skipped.append({"line": line, "reason": "no accelerator"})
            continue
        if gcp and GCP_PLACEHOLDER_PRICE in [_maybe_float(row["Price"]), _maybe_float(row["SpotPrice"])]:
            skipped.append({"line": line, "reason": f"placeholder price {GCP_PLACEHOLDER_PRICE:g} (no price published)"})
        if gcp and accel.lower().startswith("tpu-"):
            skipped.append({"line": line, "reason": "TPU slice (priced per slice, not a GPU)"})
            continue
        try:
            gpu_id = catalog.resolve_gpu_id(accel, db_path=db_path)
        except CostmodelError:
            unknown.setdefault(accel, []).append(line)
            continue
        count = _count(path, line, "AcceleratorCount", row["AcceleratorCount"])
        region = row["Region"].strip() or "any"
        if row.get("AvailabilityZone", "").strip():
            region = f"{region}/{row['AvailabilityZone'].strip()}"
        price = _number(path, line, "Price", row["Price"]) if row["Price"].strip() else None
        spot = _number(path, line, "SpotPrice", row["SpotPrice"]) if row["SpotPrice"].strip() else None
        instance = row["InstanceType"].strip()
        note = ""
        if gcp and not instance:  # an accelerator row: its price excludes the VM it attaches to
            price = None if price == GCP_PLACEHOLDER_PRICE else price
            spot = None if spot == GCP_PLACEHOLDER_PRICE else spot
            host = _gcp_host_for(hosts, accel, int(count), row["Region"].strip(), row.get("AvailabilityZone", "").strip())
            if host is None:
                skipped.append({"line": line, "reason": f"no host VM for {int(count)} x {accel} in this zone in the file"})
                continue
            instance = host["InstanceType"]
            note = f"; accelerator ${price or 0:g} + host {instance} ${host['Price']:g}"
            price = price + host["Price"] if price is not None else None
            spot = spot + host["SpotPrice"] if spot is not None and host["SpotPrice"] is not None else None
        for mode, value in (("on-demand", price), ("spot", spot if spot is not None and spot != price else None)):
            if value is None:
                continue
            if value <= 0:
                raise DataError(str(path), line, "Price" if mode == "on-demand" else "SpotPrice",
                                f"{value!r} is not a price: prices must be above 0")
            out.append({"provider": provider, "gpu_id": gpu_id, "pricing_mode": mode, "region": region,
                        "gpus_per_instance": int(count), "instance_type": instance,
                        "usd_per_gpu_hour": round(value / count, 6), "source_id": source_id,
                        "observed_on": observed_on.isoformat(),
                        "note": f"{path.name} line {line}: instance ${value:g}/h for {int(count)} GPU(s){note}",
                        SOURCE_LINE: line})
    if not skip_unknown:
        _refuse_unknown(path, unknown, "AcceleratorName", "accelerator")
    for name, ls in unknown.items():
        skipped.append({"accelerator": name, "lines": ls, "reason": "unknown accelerator, not loaded"})
    if not out:
        raise DataError(str(path), None, None, "no GPU rows to import")
    sources = pl.DataFrame([{"source_id": source_id, "title": f"SkyPilot catalogue, {provider} vms.csv",
                             "url_or_citation": f"github.com/skypilot-org/skypilot-catalog catalogs/v8/{provider}/vms.csv ({path.name})",
                             "licence": "Apache-2.0", "retrieved_on": observed_on.isoformat(),
                             "note": "imported with costmodel import skypilot"}])
    return pl.DataFrame(out), sources, skipped, len(rows)


GPUHUNT_COLUMNS = ("instance_name", "location", "price", "gpu_count", "gpu_name", "spot")
GPUHUNT_ACCEPTED = "a gpuhunt catalog CSV (UTF-8, columns instance_name, location, price, gpu_count, gpu_name, spot)"
"""Columns a gpuhunt catalog CSV needs (its RawCatalogItem: also cpu, memory, gpu_memory, and in newer versions
disk_size, gpu_vendor, flags); price is per instance and hour, gpu_memory per GPU in GB."""


def import_gpuhunt(path: Path, *, provider: str | None = None, observed_on: dt.date | None = None,
                   source_id: str | None = None, skip_unknown: bool = False, db_path: Path | None = None,
                   imports: Path | None = None) -> ImportReport:
    """Import a gpuhunt (dstack) offline catalog CSV, e.g. runpod.csv from its catalog zip, as gpu_prices rows.

    The provider is the file's name (runpod.csv) unless given; a GPU is resolved from gpu_name and
    its memory (A100 with 80 GB: a100-80gb); rows without GPUs are skipped; spot rows are spot.
    """
    path = Path(path)
    header, rows, lines = _read_table(path, GPUHUNT_ACCEPTED)
    if not rows:
        raise DataError(str(path), 1, None, "no rows: a gpuhunt catalog has one row per offer")
    missing = [c for c in GPUHUNT_COLUMNS if c not in header]
    if missing:
        raise DataError(str(path), 1, missing[0], f"missing column; a gpuhunt catalog CSV has {', '.join(GPUHUNT_COLUMNS)}"
                        " (and cpu, memory, gpu_memory)")
    provider = _registered_provider(path, [provider or path.stem], db_path)
    observed_on = observed_on or dt.date.today()
    source_id = source_id or f"gpuhunt-{provider}-{observed_on.isoformat()}"
    out, skipped, unknown = [], [], {}
    for row, line in zip(rows, lines):
        count_text = (row.get("gpu_count") or "").strip()
        count = _count(path, line, "gpu_count", count_text, minimum=0, what="whole number of GPUs (0 or more)") if count_text else 0
        if count == 0 or not (row.get("gpu_name") or "").strip():
            skipped.append({"line": line, "reason": "no GPU"})
            continue
        name = row["gpu_name"].strip()
        memory = (row.get("gpu_memory") or "").strip()
        sized = [f"{name}-{_number(path, line, 'gpu_memory', memory):g}GB"] if memory else []
        pcie = "pcie" in (row.get("instance_name") or "").lower()  # runpod's "NVIDIA A100 80GB PCIe"
        candidates = ([f"{name}-PCIe-{_number(path, line, 'gpu_memory', memory):g}GB", f"{name}-PCIe"] if pcie else []) + sized + [name]
        gpu_id = None
        for cand in candidates:
            try:
                gpu_id = catalog.resolve_gpu_id(cand, db_path=db_path)
                break
            except CostmodelError:
                continue
        if gpu_id is None:
            unknown.setdefault(name + (f" ({memory} GB)" if memory else ""), []).append(line)
            continue
        price = _number(path, line, "price", row["price"] or "missing")
        if price <= 0:
            raise DataError(str(path), line, "price", f"{price!r} is not a price: prices must be above 0")
        spot = row["spot"].strip().lower() == "true"
        out.append({"provider": provider, "gpu_id": gpu_id, "pricing_mode": "spot" if spot else "on-demand",
                    "region": row["location"].strip() or "any", "gpus_per_instance": int(count),
                    "instance_type": row["instance_name"].strip() or name, "usd_per_gpu_hour": round(price / count, 6),
                    "source_id": source_id, "observed_on": observed_on.isoformat(),
                    "note": f"{path.name} line {line}: offer ${price:g}/h for {int(count)} x {name}", SOURCE_LINE: line})
    if not skip_unknown:
        _refuse_unknown(path, unknown, "gpu_name", "GPU")
    skipped += [{"gpu": n, "lines": ls, "reason": "unknown GPU, not loaded"} for n, ls in unknown.items()]
    if not out:
        raise DataError(str(path), None, None, "no GPU rows to import")
    sources = pl.DataFrame([{"source_id": source_id, "title": f"gpuhunt catalog, {provider} ({path.name})",
                             "url_or_citation": f"dstackai/gpuhunt offline catalog {path.name}", "licence": "MPL-2.0",
                             "retrieved_on": observed_on.isoformat(), "note": "imported with costmodel import gpuhunt"}])
    frame = pl.DataFrame(out).unique(subset=["provider", "gpu_id", "pricing_mode", "region", "gpus_per_instance", "instance_type"],
                                     keep="first", maintain_order=True)
    added, already, files = append("gpu_prices", frame, label=f"gpuhunt-{provider}", sources=sources, db_path=db_path,
                                   imports=imports, origin=path)
    return ImportReport("gpuhunt", str(path), "gpu_prices", len(rows), added, already, skipped, files)


def _number(path: Path, line: int, field: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise DataError(str(path), line, field, f"{text!r} is not a number") from None
    if value != value:
        raise DataError(str(path), line, field, f"is NaN ({text!r}): a number such as 2.49 is expected")
    if math.isinf(value):
        raise DataError(str(path), line, field, f"{text!r} is infinite or too large: a finite number such as 2.49 is expected")
    return value


def _count(path: Path, line: int, field: str, text: str, *, minimum: int = 1, what: str = "") -> int:
    """A whole number of at least ``minimum`` that the store's counts hold (at most ``INTEGER_MAX``)."""
    value = _number(path, line, field, text)
    kind = what or ("positive whole number" if minimum == 1 else "whole number, 0 or more")
    if value != int(value) or value < minimum:
        raise DataError(str(path), line, field, f"{text!r} is not a {kind}")
    if value > INTEGER_MAX:
        raise DataError(str(path), line, field, f"{text!r} is too large: a {kind} of at most {INTEGER_MAX:,} is expected")
    return int(value)


# ---------------------------------------------------------------------------------------------
# Hugging Face config.json


CONFIG_REQUIRED = ("num_hidden_layers", "hidden_size", "num_attention_heads", "vocab_size")
CONFIG_OPTIONAL_INTS = ("num_key_value_heads", "head_dim", "intermediate_size", "n_routed_experts", "num_local_experts",
                        "num_experts", "num_experts_per_tok", "n_shared_experts", "moe_intermediate_size",
                        "first_k_dense_replace", "kv_lora_rank", "q_lora_rank", "qk_rope_head_dim", "qk_nope_head_dim",
                        "v_head_dim", "sliding_window", "max_position_embeddings", "intermediate_size_mlp",
                        "interleave_moe_layer_step", "decoder_sparse_step")
"""config.json fields read as whole numbers (the required ones must be above 0)."""


class ConfigFieldError(CostmodelError):
    """A config.json field is missing or has the wrong type."""

    def __init__(self, field: str, detail: str) -> None:
        self.field, self.detail = field, detail
        super().__init__(f"field {field}: {detail}")


def _read_json(path: Path, accepted: str = "a JSON file") -> tuple[str, Any]:
    """A JSON file's text and value; errors name the file and line and end with what is ``accepted``."""
    text = _decode(path, _read_bytes(path, accepted), accepted)
    try:
        return text, json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(str(path), exc.lineno, None, f"not valid JSON ({exc.msg}; truncated?); expected {accepted}") from None
    except RecursionError:
        raise DataError(str(path), None, None, f"JSON nested too deeply to read (more than about {sys.getrecursionlimit()} "
                                               f"levels of [ or {{); expected {accepted}") from None


def _json_key_line(text: str, key: str) -> int | None:
    """Line (1-based) where ``"key":`` first appears in a JSON text, for error messages."""
    match = re.search(r'"' + re.escape(key) + r'"\s*:', text)
    return text.count("\n", 0, match.start()) + 1 if match else None


def config_to_model(config: dict[str, Any], *, model_id: str, hf_repo: str | None = None) -> dict[str, Any]:
    """A models row from a Hugging Face config.json: shapes read, parameters computed from them.

    Total parameters = embeddings (+ LM head unless tied) + per layer attention (GQA or MLA
    projections) and MLP (dense, or routed + shared experts and the router). Active parameters
    count the experts a token uses. Norms and biases are left out (under 0.1%).
    """
    cfg = config.get("text_config") or config
    def get(*names: str, default: Any = None) -> Any:
        for n in names:
            if cfg.get(n) is not None:
                return cfg[n]
        return default

    for name in CONFIG_REQUIRED:
        if cfg.get(name) is None:
            raise ConfigFieldError(name, f"missing; a config.json needs {', '.join(CONFIG_REQUIRED)}")
    for name in CONFIG_REQUIRED + CONFIG_OPTIONAL_INTS:
        value = cfg.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < (name in CONFIG_REQUIRED)):
            raise ConfigFieldError(name, f"{value!r} is not a {'positive' if name in CONFIG_REQUIRED else 'non-negative'} "
                                         "whole number")
        if value is not None and value > INTEGER_MAX:
            raise ConfigFieldError(name, f"{value!r} is too large: a whole number of at most {INTEGER_MAX:,} is expected")
    layers = get("num_hidden_layers")
    hidden = get("hidden_size")
    heads = get("num_attention_heads")
    vocab = get("vocab_size")
    kv_heads = get("num_key_value_heads", default=heads)
    head_dim = get("head_dim") or hidden // heads
    inter = get("intermediate_size")
    experts = get("n_routed_experts", "num_local_experts", "num_experts")
    k = get("num_experts_per_tok", "num_experts_per_token")
    shared = get("n_shared_experts", "num_shared_experts", default=0) or 0
    moe_inter = get("moe_intermediate_size", "expert_intermediate_size") or inter
    dense_first = get("first_k_dense_replace", default=0) or 0
    kv_lora = get("kv_lora_rank")
    rope = get("qk_rope_head_dim")
    tied = bool(get("tie_word_embeddings", default=False))
    if kv_lora:
        q_lora = get("q_lora_rank")
        nope = get("qk_nope_head_dim", default=head_dim)
        v_head = get("v_head_dim", default=nope)
        q = hidden * q_lora + q_lora * heads * (nope + rope) if q_lora else hidden * heads * (nope + rope)
        attn = q + hidden * (kv_lora + rope) + kv_lora * heads * (nope + v_head) + heads * v_head * hidden
        head_dim_col = nope + rope
    else:
        attn = hidden * heads * head_dim + 2 * hidden * kv_heads * head_dim + heads * head_dim * hidden
        head_dim_col = head_dim
    dense_inter = get("intermediate_size_mlp") or inter  # Llama 4 names its dense layers' width apart
    dense_mlp = 3 * hidden * dense_inter if dense_inter else 0
    if experts and k:
        # MoE on every step-th layer after the first dense ones (Llama 4 Maverick: every 2nd)
        step = get("interleave_moe_layer_step", "decoder_sparse_step", "moe_layer_freq", default=1) or 1
        if str(cfg.get("model_type", "")).startswith("llama4"):
            shared = max(shared, 1)  # Llama 4 always has one shared expert; its config does not say so
        if isinstance(step, list):  # one 0/1 flag per layer (MiMo-V2, MiniMax-M3)
            if len(step) != layers or any(f not in (0, 1) for f in step):
                raise ConfigFieldError("moe_layer_freq", f"a list of 0/1 flags must have num_hidden_layers ({layers}) entries")
            moe_layers = sum(step)
        elif isinstance(step, int) and not isinstance(step, bool) and step > 0:
            moe_layers = max(layers - dense_first, 0) // step  # every step-th layer after the first dense ones
        else:
            raise ConfigFieldError("moe_layer_freq", f"{step!r} is neither a positive whole number nor a list of 0/1 flags")
        dense_layers = layers - moe_layers
        expert = 3 * hidden * moe_inter
        routed = moe_layers * experts * expert
        shared_p = moe_layers * shared * expert
        router = moe_layers * hidden * experts
        total_layers = layers * attn + dense_layers * dense_mlp + routed + shared_p + router
        active_layers = layers * attn + dense_layers * dense_mlp + moe_layers * (k * expert + shared * expert) + router
    else:
        total_layers = active_layers = layers * (attn + dense_mlp)
    embed = vocab * hidden * (1 if tied else 2)
    window = get("sliding_window")
    layer_types = get("layer_types")
    if isinstance(layer_types, list) and layer_types:
        windowed = sum(1 for t in layer_types if "sliding" in str(t) or "chunked" in str(t))
    elif window and get("use_sliding_window", default=True) is not False:
        pattern = get("sliding_window_pattern")
        windowed = layers - layers // pattern if isinstance(pattern, int) and pattern > 1 else layers
    else:
        windowed = 0
    if not window or window >= (get("max_position_embeddings") or 0):
        windowed = 0
    kind = "MLA" if kv_lora else ("GQA+SWA" if windowed == layers else "GQA+SWA-hybrid" if windowed else
                                  ("MHA" if kv_heads == heads else "GQA"))
    return {
        "model_id": model_id, "display_name": (hf_repo or model_id).split("/")[-1], "open_weights": True,
        "hf_repo": hf_repo, "family": cfg.get("model_type") or config.get("model_type") or "unknown",
        "total_params_b": round((embed + total_layers) / 1e9, 3), "active_params_b": round((embed + active_layers) / 1e9, 3),
        "num_layers": layers, "kv_layers": layers, "sliding_window_layers": windowed,
        "sliding_window_tokens": window if windowed else None,
        "sliding_window_layer_pattern": f"{windowed} of {layers} layers windowed" if windowed else "none",
        "hidden_size": hidden, "intermediate_size": moe_inter if experts else inter, "num_attention_heads": heads,
        "num_kv_heads": kv_heads, "head_dim": head_dim_col, "vocab_size": vocab,
        "context_tokens": get("max_position_embeddings"), "attention_kind": kind,
        "mla_kv_lora_rank": kv_lora, "mla_qk_rope_head_dim": rope if kv_lora else None,
        "num_experts": experts if experts and k else None, "experts_per_token": k if experts and k else None,
        "shared_experts": shared if experts and k else None, "tie_embeddings": tied,
        "release_precision_id": release_precision(config),
        "licence": "unknown (see the model card)", "commercial_use": "unknown", "release_date": None, "seed_discrepancy": None,
    }


def release_precision(config: dict[str, Any]) -> str:
    """Precision of a checkpoint from its config.json: quantization_config's method (fp8, mxfp4, NVFP4 via
    ModelOpt's quant_algo or 4-bit float groups of 16), else torch_dtype (bf16 unless float16)."""
    q = config.get("quantization_config") or {}
    method = str(q.get("quant_method") or q.get("quant_algo") or "").lower()
    if method in ("fp8", "mxfp4", "nvfp4", "awq", "gptq"):
        return method
    groups = q.get("config_groups") or {}
    for g in groups.values() if isinstance(groups, dict) else []:
        w = (g or {}).get("weights") or {}
        if w.get("num_bits") == 4 and w.get("type") == "float":
            return "nvfp4"
        if w.get("num_bits") == 8 and w.get("type") == "float":
            return "fp8"
    dtype = str(config.get("torch_dtype") or (config.get("text_config") or {}).get("torch_dtype") or "bfloat16")
    return "fp16" if "float16" in dtype and "bfloat" not in dtype else "bf16"


HF_CONFIG_ACCEPTED = "a Hugging Face config.json (one UTF-8 JSON object with num_hidden_layers, hidden_size, ...)"
HYBRID_KEYS = ("hybrid_override_pattern", "layers_block_type", "mamba_num_heads", "linear_num_value_heads",
               "linear_attn_config", "block_configs", "moe_latent_size")
"""config.json fields of architectures the shape formulas do not cover (Mamba or linear-attention
hybrids, per-layer NAS blocks, latent MoE): their computed parameters and KV cache are not trusted."""
MAX_PARAMS_B = 100_000.0
"""Most parameters [billions] an imported model may have: 50 times the largest published (about 2,000 B); more is a
broken config (a layer count or width off by orders of magnitude), not a model."""
NAME_SIZE_TOLERANCE = 0.2
"""Largest relative gap between computed parameters and the size in the repo name (e.g. 30B-A3B)."""


def _name_sizes(name: str) -> tuple[float | None, float | None]:
    """Total and active parameters [billions] a repo name states.

    ``Qwen3-30B-A3B`` -> (30, 3); ``Llama-4-Scout-17B-16E`` -> (None, 17): a size followed by an
    expert count is the active size.
    """
    size = r"(?<![A-Za-z0-9.])(\d+(?:\.\d+)?)[Bb]"
    expert_named = re.search(size + r"-\d+E\b", name)
    if expert_named:
        return None, float(expert_named.group(1))
    total = re.search(size + r"(?![A-Za-z])", name)
    active = re.search(r"-A(\d+(?:\.\d+)?)[Bb](?![A-Za-z])", name)
    return (float(total.group(1)) if total else None, float(active.group(1)) if active else None)


def import_hf_config(path: Path, *, model_id: str | None = None, observed_on: dt.date | None = None,
                     source_id: str | None = None, total_params_b: float | None = None,
                     active_params_b: float | None = None, db_path: Path | None = None,
                     imports: Path | None = None) -> ImportReport:
    """Import a Hugging Face config.json as a models row (named after the file's org--repo unless given).

    Parameters are computed from the shapes unless ``total_params_b`` / ``active_params_b`` are
    given. The import stops, asking for them, where the computed figures cannot be trusted: an
    architecture the formulas do not cover (``HYBRID_KEYS``), or a result more than 20% away from
    the size the repo name states.
    """
    path = Path(path)
    text, config = _read_json(path, HF_CONFIG_ACCEPTED)
    if not isinstance(config, dict):
        raise DataError(str(path), 1, None, "a config.json holds one JSON object")
    stem = path.name.removesuffix("_config.json").removesuffix(".json")
    hf_repo = stem.replace("--", "/") if "--" in stem else None
    derived = re.sub(r"[^a-z0-9.]+", "-", (hf_repo or stem).split("/")[-1].lower()).strip("-")
    if hf_repo and model_id is None:
        try:
            known = catalog.resolve_model_id(hf_repo, db_path=db_path)
        except CostmodelError:
            known = None
        if known and known != derived:
            raise DataError(str(path), None, "model_id", f"{hf_repo} is already in the catalog as {known!r}; "
                                                         "give --model-id to add it under another id")
    model_id = model_id or derived
    given = {"total_params_b": total_params_b, "active_params_b": active_params_b}
    for key, value in given.items():
        if value is not None and not (value > 0 and math.isfinite(value)):
            raise DataError(str(path), None, key, f"{value!r} is not a positive number of billions")
    hybrid = [k for k in HYBRID_KEYS if k in config or k in (config.get("text_config") or {})]
    if hybrid and (total_params_b is None or active_params_b is None):
        raise DataError(str(path), _json_key_line(text, hybrid[0]), hybrid[0],
                        "an architecture the shape formulas do not cover (hybrid or per-layer blocks): give "
                        "--total-params-b and --active-params-b from the model card")
    try:
        row = config_to_model(config, model_id=model_id, hf_repo=hf_repo)
    except ConfigFieldError as exc:
        raise DataError(str(path), _json_key_line(text, exc.field), exc.field, exc.detail) from None
    name_total, name_active = _name_sizes(stem)
    for key, stated in (("total_params_b", name_total), ("active_params_b", name_active)):
        if given[key] is None and stated and abs(row[key] / stated - 1) > NAME_SIZE_TOLERANCE:
            raise DataError(str(path), None, key,
                            f"computed {row[key]:,.2f} B but the name says {stated:g} B: the shapes are not fully "
                            f"understood; give --{key.replace('_', '-')} from the model card")
    row.update({k: v for k, v in given.items() if v is not None})
    for key in ("total_params_b", "active_params_b"):
        if row[key] > MAX_PARAMS_B:
            how = "given" if given[key] is not None else "computed from the shapes"
            raise DataError(str(path), None, key, f"{row[key]:,.0f} B parameters {how}: more than {MAX_PARAMS_B:,.0f} B is "
                                                  "not a model (check num_hidden_layers, hidden_size, vocab_size and "
                                                  "the expert counts)")
    if row["active_params_b"] > row["total_params_b"]:
        raise DataError(str(path), None, "active_params_b",
                        f"{row['active_params_b']:g} B active exceeds {row['total_params_b']:g} B total")
    observed_on = observed_on or dt.date.today()
    source_id = source_id or f"hf-config-{model_id}"
    how = ("parameters given by the user" if total_params_b or active_params_b else
           "parameters computed from the shapes (norms and biases left out)")
    caveat = f"; {', '.join(hybrid)} present: KV cache assumes every layer has attention (overstated)" if hybrid else ""
    row.update(source_id=source_id, observed_on=observed_on.isoformat(), note=f"imported from {path.name}: {how}{caveat}")
    sources = pl.DataFrame([{"source_id": source_id, "title": f"Hugging Face config.json of {hf_repo or model_id}",
                             "url_or_citation": f"huggingface.co/{hf_repo}/blob/main/config.json" if hf_repo else str(path.name),
                             "licence": "see the model card", "retrieved_on": observed_on.isoformat(),
                             "note": "imported with costmodel import hf-config"}])
    added, already, files = append("models", pl.DataFrame([row]), label=f"hf-config-{model_id}", sources=sources,
                                   db_path=db_path, imports=imports)
    if hf_repo:
        alias = pl.DataFrame([{"alias": hf_repo.lower(), "model_id": model_id}])
        a_added, _, a_files = append("model_aliases", alias, label=f"hf-alias-{model_id}", db_path=db_path, imports=imports)
        files += a_files
    return ImportReport("hf-config", str(path), "models", 1, added, already, [], files)


# ---------------------------------------------------------------------------------------------
# A user's own negotiated prices

PRICES_CSV_COLUMNS = ("kind", "provider", "item", "pricing_mode", "usd_per_gpu_hour", "input_usd_per_mtok",
                      "output_usd_per_mtok", "cached_input_usd_per_mtok", "observed_on", "note")
"""Layout of ``costmodel import prices-csv``: one negotiated price per row.

kind: gpu or api; provider: who sells it; item: a GPU id or alias (kind gpu) or the provider's
model id (kind api); pricing_mode: on-demand, spot, reserved-1y, reserved-3y or serverless (gpu
rows); usd_per_gpu_hour (gpu rows); input_usd_per_mtok, output_usd_per_mtok and optionally
cached_input_usd_per_mtok (api rows); observed_on: the date the price applies from; note.
An optional ``currency`` column (EUR, GBP, JPY, ...; empty or USD: dollars) says the row's prices
are in that currency: they are converted to USD at the store's rate for the observed_on month, and
the note says which rate. Negotiated prices take precedence over list prices wherever both exist.
"""


def import_prices_csv(path: Path, *, source_id: str | None = None, db_path: Path | None = None,
                      imports: Path | None = None) -> ImportReport:
    """Import a user's negotiated GPU and API prices (layout: ``PRICES_CSV_COLUMNS``)."""
    path = Path(path)
    header, rows, lines = _read_table(path, f"a prices CSV (UTF-8, columns {', '.join(PRICES_CSV_COLUMNS)})")
    if not rows:
        raise DataError(str(path), 1, None, f"no rows; a prices CSV has one price per row, columns: {', '.join(PRICES_CSV_COLUMNS)}")
    missing = [c for c in PRICES_CSV_COLUMNS if c not in header]
    if missing:
        raise DataError(str(path), 1, missing[0], f"missing column; a prices CSV has {', '.join(PRICES_CSV_COLUMNS)}")
    source_id = source_id or f"{store.USER_PRICES_PREFIX}-{file_slug(path.stem)}"
    gpu_rows, api_rows = [], []
    for row, line in zip(rows, lines):
        kind = row["kind"].strip().lower()
        try:
            day = dt.date.fromisoformat(row["observed_on"].strip())
        except ValueError:
            raise DataError(str(path), line, "observed_on", f"{row['observed_on']!r} is not an ISO date such as 2026-09-25") from None
        to_usd, fx_note = _to_usd(path, line, (row.get("currency") or "").strip(), day, db_path)
        provider = row["provider"].strip().lower()
        if not provider:
            raise DataError(str(path), line, "provider", "is empty but required")
        if kind == "gpu":
            try:
                gpu_id = catalog.resolve_gpu_id(row["item"], db_path=db_path)
            except CostmodelError as exc:
                raise DataError(str(path), line, "item", str(exc)) from None
            mode = row["pricing_mode"].strip() or "on-demand"
            price = _positive_price(path, line, "usd_per_gpu_hour", row["usd_per_gpu_hour"]) * to_usd
            gpu_rows.append({"provider": provider, "gpu_id": gpu_id, "pricing_mode": mode, "region": "negotiated",
                             "gpus_per_instance": 1, "instance_type": "negotiated", "usd_per_gpu_hour": price,
                             "source_id": source_id, "observed_on": day.isoformat(),
                             "note": "; ".join(x for x in (row["note"], fx_note) if x) or None, SOURCE_LINE: line})
        elif kind == "api":
            item = row["item"].strip()
            if not item:
                raise DataError(str(path), line, "item", "is empty: give the provider's model id")
            cached = row["cached_input_usd_per_mtok"].strip()
            per_mtok = {f: _positive_price(path, line, f, row[f], maximum=API_PRICE_MAX_USD_PER_MTOK)
                        for f in ("input_usd_per_mtok", "output_usd_per_mtok")}
            cached_price = (_positive_price(path, line, "cached_input_usd_per_mtok", cached, maximum=API_PRICE_MAX_USD_PER_MTOK)
                            if cached else None)
            if cached_price is not None and cached_price > per_mtok["input_usd_per_mtok"]:
                raise DataError(str(path), line, "cached_input_usd_per_mtok",
                                f"{cached_price:g} is above input_usd_per_mtok {per_mtok['input_usd_per_mtok']:g}: a cached "
                                "read is priced at most the input price (columns swapped?)")
            api_rows.append({
                "provider": provider, "provider_model_id": item, "context_tier_start_tokens": 0, "time_window_utc": "all-day",
                "price_period": 0, "effective_from": day.isoformat(), "effective_until": None,
                "input_usd_per_mtok": per_mtok["input_usd_per_mtok"] * to_usd,
                "output_usd_per_mtok": per_mtok["output_usd_per_mtok"] * to_usd,
                "cached_input_usd_per_mtok": cached_price * to_usd if cached_price is not None else None,
                "cache_write_usd_per_mtok": None, "source_id": source_id, "observed_on": day.isoformat(),
                "note": "; ".join(x for x in (row["note"] or "negotiated price", fx_note) if x), SOURCE_LINE: line})
        else:
            raise DataError(str(path), line, "kind", f"{row['kind']!r} is not gpu or api")
    sources = pl.DataFrame([{"source_id": source_id, "title": f"Negotiated prices ({path.name})", "url_or_citation": str(path.name),
                             "licence": "own data", "retrieved_on": dt.date.today().isoformat(),
                             "note": "imported with costmodel import prices-csv; takes precedence over list prices"}])
    known = set(store.query("SELECT provider FROM gpu_providers", db_path=db_path)["provider"].to_list())
    new_providers = sorted({r["provider"] for r in gpu_rows} - known)
    registry = [("gpu_providers", pl.DataFrame([{
        "provider": prov, "market_segment": "negotiated", "source_id": source_id, "observed_on": dt.date.today().isoformat(),
        "note": f"first seen in your negotiated prices ({path.name}); not a list-price provider"} for prov in new_providers]))] \
        if new_providers else []
    added = already = 0
    files: list[str] = []
    for table, frame_rows in (("gpu_prices", gpu_rows), ("api_prices", api_rows)):
        if frame_rows:
            a, b, f = append(table, pl.DataFrame(frame_rows), label=f"prices-{path.stem}", sources=sources, db_path=db_path,
                             imports=imports, extra=registry if table == "gpu_prices" else None, origin=path)
            added, already, files = added + a, already + b, files + f
    return ImportReport("prices-csv", str(path), "gpu_prices, api_prices", len(rows), added, already, [], files)


def _to_usd(path: Path, line: int, code: str, day: dt.date, db_path: Path | None) -> tuple[float, str]:
    """USD per unit of a row's currency (column ``currency``, optional: empty or USD means dollars) at the rate of the
    row's observed_on month, and the note saying so; an unknown currency or a date without a rate names the line."""
    if not code or code.upper() == "USD":
        return 1.0, ""
    from costmodel.catalog import currency

    try:
        r = currency.rate(code, day, db_path=db_path)
    except CostmodelError as exc:
        raise DataError(str(path), line, "currency", str(exc)) from None
    return 1.0 / r.units_per_usd, (f"converted from {r.currency} at {r.units_per_usd:,.4f} {r.currency} per USD "
                                   f"({r.rate_kind} of {r.month:%Y-%m}, {r.source_id})")


API_PRICE_MAX_USD_PER_MTOK = 10_000.0
"""Largest API price an import accepts [USD per million tokens]: the dearest listed (o1-pro output, 600) times
about 17; anything above is a unit error (a price per token, or per thousand)."""


def _positive_price(path: Path, line: int, field: str, text: str, *, maximum: float | None = None) -> float:
    value = _number(path, line, field, text.strip() if text.strip() else "missing")
    if value <= 0:
        raise DataError(str(path), line, field, f"{value!r} is not a price: prices must be above 0")
    if maximum is not None and value > maximum:
        raise DataError(str(path), line, field, f"{value:g} is not a plausible price: at most {maximum:,.0f} USD per "
                                                "million tokens is accepted (a unit error?)")
    return value


# ---------------------------------------------------------------------------------------------
# LiteLLM's price map

LITELLM_PROVIDERS = {"together_ai": "together", "fireworks_ai": "fireworks", "gemini": "google",
                     "vertex_ai-language-models": "google-vertex", "vertex_ai-anthropic_models": "google-vertex",
                     "bedrock": "aws", "azure_ai": "azure", "mistral": "mistral", "deepseek": "deepseek", "groq": "groq",
                     "openai": "openai", "anthropic": "anthropic", "openrouter": "openrouter", "cerebras": "cerebras",
                     "novita": "novita", "xai": "x-ai", "perplexity": "perplexity"}
"""LiteLLM's ``litellm_provider`` names mapped to this project's provider ids (others keep their name); Vertex AI
stays apart from the Gemini API (their prices and ids differ)."""
LITELLM_SERVICE_TIERS = {"_batches": "batch", "_flex": "flex", "_priority": "priority"}
"""Suffixes of LiteLLM's per-token cost fields that price a service tier."""


def import_litellm(path: Path, *, observed_on: dt.date | None = None, source_id: str | None = None,
                   db_path: Path | None = None, imports: Path | None = None) -> ImportReport:
    """Import LiteLLM's model_prices_and_context_window.json as a second API price source.

    Chat and completion entries with an input price become api_prices rows ($ per token x 1e6);
    cached-read prices are kept; entries without prices (embeddings, images) are skipped.
    """
    path = Path(path)
    text, data = _read_json(path, "LiteLLM's model_prices_and_context_window.json (one UTF-8 JSON object of models)")
    if not isinstance(data, dict) or not data:
        raise DataError(str(path), 1, None, "no entries: LiteLLM's price map is one JSON object of models")
    observed_on = observed_on or dt.date.today()
    source_id = source_id or f"{store.LITELLM_SOURCE_PREFIX}-{observed_on.isoformat()}"
    rows, skipped = [], []
    for key, entry in data.items():
        if key == "sample_spec" or not isinstance(entry, dict):
            continue
        if entry.get("mode", "chat") not in ("chat", "completion"):
            skipped.append({"model": key, "reason": f"mode {entry.get('mode')}"})
            continue
        def price(field: str) -> float:
            value = entry.get(field) or 0
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise DataError(str(path), _json_key_line(text, key), f"{key}.{field}",
                                f"{value!r} is not a number of USD per token")
            if isinstance(value, float) and math.isnan(value):
                raise DataError(str(path), _json_key_line(text, key), f"{key}.{field}", "is NaN: a number of USD per token is expected")
            if value < 0:
                raise DataError(str(path), _json_key_line(text, key), f"{key}.{field}",
                                f"negative price {value!r}: prices must be above 0")
            if value > API_PRICE_MAX_USD_PER_MTOK / 1e6:
                raise DataError(str(path), _json_key_line(text, key), f"{key}.{field}",
                                f"{value!r} USD per token is not a plausible price: at most "
                                f"{API_PRICE_MAX_USD_PER_MTOK / 1e6:g} is accepted (a unit error?)")
            return float(value)

        inp, out, cached = (price(f) for f in ("input_cost_per_token", "output_cost_per_token", "cache_read_input_token_cost"))
        if inp == 0 or out == 0:
            skipped.append({"model": key, "reason": "no input or output price (free or not priced)"})
            continue
        provider_name = str(entry.get("litellm_provider", "")).strip()
        if not provider_name:
            raise DataError(str(path), _json_key_line(text, key), f"{key}.litellm_provider", "is missing")
        provider = LITELLM_PROVIDERS.get(provider_name, provider_name)
        model_id = key.split("/", 1)[1] if key.startswith(provider_name + "/") else key
        common = {"provider": provider, "provider_model_id": model_id, "time_window_utc": "all-day", "price_period": 0,
                  "effective_from": None, "effective_until": None, "cache_write_usd_per_mtok": None,
                  "source_id": source_id, "observed_on": observed_on.isoformat()}
        # the standard price, its long-context tiers (*_above_200k_tokens), and the service tiers (*_batches, _flex, _priority)
        variants = [("standard", 0, "")]
        variants += sorted(("standard", int(m.group(1)) * 1000, f"_above_{m.group(1)}k_tokens")
                           for m in (re.fullmatch(r"input_cost_per_token_above_(\d+)k_tokens", f) for f in entry) if m)
        variants += [(tier, 0, suffix) for suffix, tier in LITELLM_SERVICE_TIERS.items() if f"input_cost_per_token{suffix}" in entry]
        for tier, start, suffix in variants:
            t_in = price(f"input_cost_per_token{suffix}") if suffix else inp
            t_out = (price(f"output_cost_per_token{suffix}") or out) if suffix else out
            t_cached = (price(f"cache_read_input_token_cost{suffix}") or None) if suffix else (cached or None)
            if not t_in:
                continue
            rows.append({**common, "context_tier_start_tokens": start, "service_tier": tier,
                         "input_usd_per_mtok": t_in * 1e6, "output_usd_per_mtok": t_out * 1e6,
                         "cached_input_usd_per_mtok": t_cached * 1e6 if t_cached else None,
                         "note": f"litellm key {key}" + (f" ({suffix.strip('_')})" if suffix else "")})
    if not rows:
        raise DataError(str(path), None, None, "no priced chat models found")
    sources = pl.DataFrame([{"source_id": source_id, "title": "LiteLLM model_prices_and_context_window.json",
                             "url_or_citation": f"github.com/BerriAI/litellm model_prices_and_context_window.json ({path.name})",
                             "licence": "MIT", "retrieved_on": observed_on.isoformat(),
                             "note": "imported with costmodel import litellm; undated prices: dated by the import"}])
    added, already, files = append("api_prices", pl.DataFrame(rows), label=f"litellm-{observed_on}", sources=sources,
                                   db_path=db_path, imports=imports)
    return ImportReport("litellm", str(path), "api_prices", len(rows), added, already, skipped, files)
