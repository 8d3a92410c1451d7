"""The kernel a run's section notebooks execute in, and the papermill engine that runs them.

One kernel serves every section of a run, and a batch worker keeps it for the next runs it
publishes: a kernel start and the imports of polars and seaborn cost ~2.5 s, paid once per
worker instead of once per notebook. Runs stay independent: the kernel's namespace is
emptied before each run (:data:`RESET`); sections cannot come to rely on each other's
variables unnoticed, as nbval runs each notebook in a fresh kernel.

Notebooks run through papermill's engine registry (:class:`KitEngine`, registered as
:data:`ENGINE`): papermill's own nbclient engine, which also hands back how each cell went
(its kind and papermill's recorded duration), so that a failure is located from papermill's
``PapermillExecutionError.cell_index`` without reading the notebook again, and which keeps
one ready client per kernel and thread (:func:`ready_client`): nbclient would connect a new
client for every notebook and wait for it to be ready, ~0.21 s each (jupyter_client listens
for IOPub to stay silent for 0.2 s), four times on a report's critical path.
"""

from __future__ import annotations

import queue
import threading
from pathlib import Path

from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines
from papermill.log import logger
from papermill.utils import merge_kwargs, remove_args

KERNEL = "shop-report-kit"
ENGINE = "kit"
WARM_UP = "import kit.notebook; kit.notebook.warm_up()"
"""Run in a run's kernel while its data is prepared (see :func:`kit.notebook.warm_up`)."""
RESET = "get_ipython().run_line_magic('reset', '-f')"
"""Run in the kernel before each run (with :data:`WARM_UP`): a run starts with an empty
namespace (imported modules stay loaded), so it cannot read a variable left by the run
the kernel published before."""


_clients: dict[int, tuple[object, dict]] = {}
"""id(kernel manager) -> (the manager, {thread: its ready client}); see :func:`ready_client`."""
_clients_lock = threading.Lock()


def ready_client(km):
    """This thread's client of the kernel ``km``, connected and ready (made once per kernel and
    thread). A thread keeps its own: a client's sockets belong to the event loop of the thread
    that uses them, and each thread runs its own loop. A kernel is used by one thread at a time
    (a run's lanes, see :func:`kit.publish.batch.execution_plan`), and nbclient ignores the
    replies a client still holds from the notebook before (it waits for its own messages)."""
    from nbclient.util import run_sync

    me = threading.current_thread()
    with _clients_lock:
        _, by_thread = _clients.setdefault(id(km), (km, {}))
        for thread in [t for t in by_thread if not t.is_alive()]:
            by_thread.pop(thread).stop_channels()  # its thread is gone: nothing else uses it
        kc = by_thread.get(me)
    if kc is None:
        kc = km.client()
        kc.start_channels()
        try:
            run_sync(kc.wait_for_ready)(timeout=60)
        except Exception:
            kc.stop_channels()
            raise
        with _clients_lock:
            _clients.setdefault(id(km), (km, {}))[1][me] = kc
    return kc


def _drop_clients(km) -> None:
    with _clients_lock:
        _, by_thread = _clients.pop(id(km), (None, {}))
    for kc in by_thread.values():
        kc.stop_channels()


class KitNotebookClient(PapermillNotebookClient):
    """papermill's notebook client, connected through :func:`ready_client` (nbclient connects
    a client only when it has none, and leaves it open when it does not own the kernel)."""

    def start_new_kernel_client(self):
        self.kc = ready_client(self.km)
        self.kc.allow_stdin = False
        return self.kc

    async def async_start_new_kernel_client(self):
        return self.start_new_kernel_client()


class KitEngine(NBClientEngine):
    """papermill's nbclient engine, registered as :data:`ENGINE`, with :class:`KitNotebookClient`.

    Given ``cells=[]`` (an engine keyword argument of ``papermill.execute_notebook``), it appends
    one ``(cell_type, seconds)`` per cell of the notebook as executed, the injected parameters
    included, whether or not a cell failed: papermill raises its execution error only after the
    engine returns, and its ``cell_index`` counts every cell of that notebook (Markdown too)."""

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                 stderr_file=None, start_timeout=60, execution_timeout=None,
                                 cells: list | None = None, **kwargs):
        # as NBClientEngine.execute_managed_notebook, with our client class
        kwargs = remove_args(["input_path"], **kwargs)
        safe_kwargs = remove_args(["timeout", "startup_timeout"], **kwargs)
        final_kwargs = merge_kwargs(
            safe_kwargs, timeout=execution_timeout if execution_timeout else kwargs.get("timeout"),
            startup_timeout=start_timeout, kernel_name=kernel_name, log=logger, log_output=log_output,
            stdout_file=stdout_file, stderr_file=stderr_file,
        )
        client_class = KitNotebookClient if final_kwargs.get("km") is not None else PapermillNotebookClient
        try:
            return client_class(nb_man, **final_kwargs).execute()
        finally:
            if cells is not None:
                cells.extend((c.cell_type, c.get("metadata", {}).get("papermill", {}).get("duration"))
                             for c in nb_man.nb.cells)


papermill_engines.register(ENGINE, KitEngine)


def code_position(cells: list[tuple[str, float | None]], cell_index: int | None) -> int | None:
    """The ``[n]`` a user sees for the cell at ``cell_index`` of the executed notebook: its
    position among the code cells, counted from 1 (the injected parameters included). Not
    papermill's ``exec_count``: the sections of a run share one kernel, so execution counts run
    on from the notebook before."""
    if cell_index is None or not 0 <= cell_index < len(cells) or cells[cell_index][0] != "code":
        return None
    return sum(1 for kind, _ in cells[: cell_index + 1] if kind == "code")


def start_kernel(cwd: Path):
    """Start the project's kernel (``shop-report-kit``) in ``cwd``."""
    from jupyter_client.manager import AsyncKernelManager
    from nbclient.util import run_sync

    # The kernelspec declares CurveZMQ support; letting the manager provision keys encrypts
    # the local sockets and stops ipykernel warning about plain TCP.
    km = AsyncKernelManager(kernel_name=KERNEL, transport_encryption="auto")
    run_sync(km.start_kernel)(cwd=str(cwd))
    return km


def stop_kernel(km) -> None:
    from nbclient.util import run_sync

    _drop_clients(km)
    run_sync(km.shutdown_kernel)(now=True)


def kill_kernel(km) -> None:
    """End the kernel's process at once (from a signal handler, where nothing can be awaited)."""
    import os
    import signal

    pid = getattr(km.provisioner, "pid", None) if getattr(km, "provisioner", None) else None
    if pid:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def run_silently(km, code: str, timeout: float = 120) -> None:
    """Run ``code`` in the kernel and wait for it to finish (no output, no execution count),
    through this thread's ready client (:func:`ready_client`)."""
    from nbclient.util import run_sync

    client = ready_client(km)
    msg_id = client.execute(code, silent=True, store_history=False)
    waited = 0.0
    while True:
        try:
            reply = run_sync(client.get_shell_msg)(timeout=1)
        except queue.Empty:
            # a failed run drops its kernels while one may still be warming up; its thread must
            # end then (a worker process waits for its threads before it exits), not at the timeout
            waited += 1
            if not run_sync(km.is_alive)():
                raise RuntimeError("the kernel stopped before it answered") from None
            if waited >= timeout:
                raise TimeoutError(f"the kernel did not answer within {timeout:.0f} s") from None
            continue
        if reply["parent_header"].get("msg_id") == msg_id:
            return


def warm_up_kernel(km) -> None:
    """Empty the kernel's namespace (:data:`RESET`), run :data:`WARM_UP` (imports, theme,
    fonts; instant in a kernel that published a run before) and wait for both."""
    run_silently(km, f"{RESET}\n{WARM_UP}")
