"""Kernels for reports, started ahead of need and warmed with the libraries every report imports.

A report spends most of its time outside its own cells: starting a Python kernel, importing polars,
DuckDB, pyarrow, Altair and costmodel in it, and starting vl-convert's JavaScript runtime. ``take()``
hands papermill a kernel that was started earlier and has done that work already: the *spare*.

- The spare is a fresh kernel: it has imported modules (inside a function, so the notebook's namespace
  is empty), checked that the store is current and started vl-convert; it has run no report cell and it
  runs exactly one report, after which it is killed. Execution counts start at 1 as in any kernel.
- It is used only if it was started for the same kernel, folder, kernel options, Python and environment
  (``COSTMODEL_DB``, ``COSTMODEL_REPORTS_DIR`` and every other variable): otherwise it is discarded and a
  kernel is started for this report.
- Without a spare, ``take()`` starts the kernel at once and returns; the warm-up then runs in the kernel
  while this process checks the parameters and imports papermill, which is the one-shot case
  (``costmodel report NAME``).
- ``prepare()`` starts the next spare; ``run_report(keep_warm=True)`` (the Python API, the workers of
  ``report --all``) calls it when its kernel is taken. The spare is killed when this process exits
  (and dies with it in any case: ipykernel polls its parent).

Needs the ``reports`` extra (jupyter_client, ipykernel); imported lazily by ``reports``.
"""

from __future__ import annotations

import atexit
import dataclasses
import hashlib
import os
import sys
import time
from typing import Any

NO_IRI_GRAMMAR = ("import sys\n"
                  "if 'jsonschema' not in sys.modules and 'rfc3987_syntax' not in sys.modules:\n"
                  "    sys.modules['rfc3987_syntax'] = None\n"
                  "    try:\n"
                  "        import jsonschema\n"
                  "    except ImportError:\n"
                  "        pass\n"
                  "    if sys.modules.get('rfc3987_syntax', 0) is None:\n"
                  "        del sys.modules['rfc3987_syntax']\n")
"""Imports jsonschema without the rfc3987-syntax package, whose import builds an Earley parser of the IRI grammar
(about 1 s, more on a loaded machine) for the ``iri`` formats, which neither the notebook (nbformat) nor the chart
(Vega-Lite) schemas use. Run in the report process before papermill and in each kernel's warm-up; afterwards
``import rfc3987_syntax`` works as usual."""

WARM_UP = """
def _costmodel_warm_up():
    import threading

    exec(%r, {})

    def charts():
        try:
            import vl_convert
            vl_convert.vegalite_to_svg({'mark': 'point', 'data': {'values': []}})
        except Exception:
            pass

    threading.Thread(target=charts, daemon=True).start()  # vl-convert releases the GIL: it starts alongside
    try:
        import json, polars, pyarrow, IPython.display, altair  # noqa: F401
        import costmodel.outputs.analysis, costmodel.outputs.charts, costmodel.scenarios  # noqa: F401
        from costmodel import store
        if store.paths.db_path().is_file():
            store.ensure_built()  # the store checked against its inputs once, here, not in the first cell
    except Exception:
        pass  # the report's own cells then import and say what is wrong
_costmodel_warm_up()
del _costmodel_warm_up
""" % NO_IRI_GRAMMAR
"""Code every report kernel runs before its first cell (silently: no output, no execution count, no history)."""

KERNEL_NAME = "python3"
KERNEL_ARGUMENTS = ("--IPKernelApp.log_level=ERROR",)
"""Kernel options of every report: no start-up chatter."""


def _key(cwd: str) -> tuple[Any, ...]:
    """What a spare must have been started with to serve a report: kernel, folder, options, Python, environment."""
    env = hashlib.sha256(repr(sorted(os.environ.items())).encode("utf-8", "surrogatepass")).hexdigest()
    return (KERNEL_NAME, os.path.realpath(cwd), KERNEL_ARGUMENTS, sys.executable, env)


@dataclasses.dataclass
class _Kernel:
    key: tuple[Any, ...]
    manager: Any  # jupyter_client AsyncKernelManager, kernel started
    client: Any  # the client that sent the warm-up (kept until the kernel is killed, so the request is delivered)
    ahead: bool  # started before the report that takes it (a spare), not for it

    def alive(self) -> bool:
        from jupyter_core.utils import run_sync

        try:
            return bool(run_sync(self.manager.is_alive)())
        except Exception:
            return False

    def kill(self) -> None:
        from jupyter_core.utils import run_sync

        try:
            self.client.stop_channels()
        except Exception:
            pass
        try:
            run_sync(self.manager.shutdown_kernel)(now=True)
        except Exception:
            pass


_SPARE: _Kernel | None = None
STATS = {"warm": 0, "cold": 0, "discarded": 0}
"""Kernels handed to reports in this process: spares started ahead (warm), kernels started for the report itself
(cold), and spares killed unused (discarded)."""


def _start(cwd: str, *, ahead: bool) -> _Kernel:
    """Start a kernel in ``cwd`` and send it the warm-up; returns at once (the kernel warms up on its own)."""
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync

    manager = AsyncKernelManager(kernel_name=KERNEL_NAME)
    run_sync(manager.start_kernel)(extra_arguments=list(KERNEL_ARGUMENTS), cwd=cwd)
    client = manager.blocking_client()
    client.start_channels(shell=True, iopub=False, stdin=False, hb=False, control=False)
    client.execute(WARM_UP, silent=True, store_history=False)  # queued until the kernel listens
    return _Kernel(_key(cwd), manager, client, ahead)


def prepare(cwd: str, *, ahead: bool = True) -> None:
    """Start a kernel for the next report run in ``cwd`` unless one for the same conditions is there.

    ahead: True for a spare started for a later report, False for the report about to run (``STATS``)."""
    global _SPARE
    key = _key(cwd)
    if _SPARE is not None and _SPARE.key == key:
        return
    discard()
    _SPARE = _start(cwd, ahead=ahead)


def wait_ready(timeout_s: float = 60.0) -> bool:
    """Wait until the spare kernel has finished its warm-up (True), or ``timeout_s`` passed or none is there (False)."""
    if _SPARE is None:
        return False
    client = _SPARE.client
    msg_id = client.kernel_info()  # answered after the warm-up: the kernel runs its requests in order
    deadline = time.monotonic() + timeout_s
    while (left := deadline - time.monotonic()) > 0:
        try:
            msg = client.get_shell_msg(timeout=left)
        except Exception:  # queue.Empty: timed out
            return False
        if msg.get("parent_header", {}).get("msg_id") == msg_id:
            return True
    return False


def take(cwd: str) -> _Kernel:
    """A started kernel for one report in ``cwd`` (``.manager`` for papermill): the spare if it fits, else one
    started now. Give it back to ``finish`` when the report is done."""
    global _SPARE
    spare, _SPARE = _SPARE, None
    if spare is None or spare.key != _key(cwd) or not spare.alive():
        if spare is not None:
            spare.kill()
            STATS["discarded"] += 1
        spare = _start(cwd, ahead=False)
    STATS["warm" if spare.ahead else "cold"] += 1
    return spare


def finish(kernel: _Kernel) -> None:
    """Kill a report's kernel once its notebook is done (it has nothing left to save)."""
    kernel.kill()


def discard() -> None:
    """Kill the spare kernel, if any."""
    global _SPARE
    spare, _SPARE = _SPARE, None
    if spare is not None:
        spare.kill()
        STATS["discarded"] += 1


def has_spare() -> bool:
    """True when a spare kernel is waiting."""
    return _SPARE is not None


atexit.register(discard)
