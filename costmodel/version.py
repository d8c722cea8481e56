"""The package version, in one place: read by the build (pyproject), the store's build_info and ``--version``."""

__version__ = "0.1.0"
