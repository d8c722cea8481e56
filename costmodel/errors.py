"""Errors a user can act on: each says what was wrong, where, and what is accepted."""

from __future__ import annotations

from collections.abc import Iterable


class CostmodelError(ValueError):
    """Base class of every error costmodel raises for a user's input or data."""


class UsageError(CostmodelError):
    """A command line that does not say what to do (a missing or conflicting option): exit status 2, like argparse's."""


class DataError(CostmodelError):
    """A data file (or imported record) broke a rule: names the file, line and field."""

    def __init__(self, file: str, line: int | None, field: str | None, message: str) -> None:
        self.file = file
        self.line = line
        self.field = field
        self.detail = message
        where = file
        if line is not None:
            where += f", line {line}"
        if field:
            where += f", field {field}"
        super().__init__(f"{where}: {message}")


class UnknownIdError(CostmodelError, KeyError):
    """An id (model, GPU, precision, provider, ...) that the store does not know."""

    def __init__(self, kind: str, value: str, suggestions: Iterable[str] = ()) -> None:
        self.kind = kind
        self.value = value
        self.suggestions = list(suggestions)
        message = f"unknown {kind} {value!r}"
        if self.suggestions:
            message += f"; closest known: {', '.join(self.suggestions)}"
        else:
            message += f"; list the known ones with `costmodel {kind_to_command(kind)}`"
        super().__init__(message)

    def __str__(self) -> str:  # KeyError would quote the message
        return self.args[0]


def kind_to_command(kind: str) -> str:
    """The CLI sub-command that lists ids of a kind."""
    return {"model": "models", "GPU": "gpus"}.get(kind, "db info")


class StoreError(CostmodelError):
    """The store is missing, unreadable or failed to build."""


EXTRAS = {
    "reports": ("papermill", "nbformat", "ipykernel", "altair", "vl_convert", "mistune", "nh3"),
    "logs": ("ibis",),
    "spark": ("ibis", "pyspark"),
    "aiconfigurator": ("aiconfigurator_core",),
}
"""The modules each optional extra of the package (pyproject.toml) supplies."""


def require(extra: str, what: str) -> None:
    """Raise a one-line CostmodelError saying which extra to install when ``what`` needs one that is missing."""
    import importlib.util

    missing = [name for name in EXTRAS[extra] if importlib.util.find_spec(name) is None]
    if missing:
        raise CostmodelError(f"{what} needs the {extra!r} extra ({', '.join(missing)} not installed): "
                             f"pip install 'costmodel[{extra}]'")
