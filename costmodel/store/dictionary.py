"""Generate the data dictionary (Markdown) from the schema's table and column comments.

Run ``python -m costmodel.store.dictionary > data/DATA_DICTIONARY.md``; a test checks the committed
file is current.
"""

from __future__ import annotations

import duckdb

from costmodel import store


def render() -> str:
    """The data dictionary of every store table, in load order, as Markdown."""
    con = duckdb.connect()
    try:
        con.execute(store.schema_sql())
        out = [
            "# Data dictionary",
            "",
            "Generated from `costmodel/store/schema.sql` by `python -m costmodel.store.dictionary`; do not edit by hand.",
            "Open the store with plain DuckDB: `duckdb.connect('data/costmodel.duckdb', read_only=True)`.",
            "Each table is loaded from `data/<table>.csv` (api_prices also from the genai-prices package).",
            "",
        ]
        for table in store.table_order():
            comment = con.execute("SELECT comment FROM duckdb_tables() WHERE table_name = ?", [table]).fetchall()[0][0]
            pk = con.execute(
                "SELECT constraint_column_names FROM duckdb_constraints() WHERE table_name = ? AND constraint_type = 'PRIMARY KEY'",
                [table],
            ).fetchall()[0]
            out += [f"## {table}", "", comment or "", ""]
            if pk:
                out += [f"Primary key: ({', '.join(pk[0])})", ""]
            out += ["| column | type | required | description |", "|---|---|---|---|"]
            for name, dtype, nullable, col_comment in con.execute(
                "SELECT column_name, data_type, is_nullable, comment FROM duckdb_columns() "
                "WHERE table_name = ? ORDER BY column_index",
                [table],
            ).fetchall():
                out.append(f"| {name} | {dtype} | {'no' if nullable else 'yes'} | {(col_comment or '').replace('|', '/')} |")
            checks = [r[0] for r in con.execute(
                "SELECT expression FROM duckdb_constraints() WHERE table_name = ? AND constraint_type = 'CHECK' ORDER BY constraint_index",
                [table],
            ).fetchall()]
            if checks:
                out += ["", "Rules: " + "; ".join(f"`{c}`" for c in checks)]
            out.append("")
        return "\n".join(out)
    finally:
        con.close()


if __name__ == "__main__":
    print(render(), end="")
