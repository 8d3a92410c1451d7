"""The kernel a run's section notebooks execute in.

One kernel serves every section of a run, and a batch worker keeps it for the next runs it
publishes: a kernel start and the imports of polars and seaborn cost ~2.5 s, paid once per
worker instead of once per notebook. Runs stay independent: the kernel's namespace is
emptied before each run (:data:`RESET`); sections cannot come to rely on each other's
variables unnoticed, as nbval runs each notebook in a fresh kernel.
"""

from __future__ import annotations

import time
from pathlib import Path
from queue import Empty

from jupyter_client.asynchronous import AsyncKernelClient

KERNEL = "shop-report-kit"
WARM_UP = "import kit.notebook; kit.notebook.warm_up()"
"""Run in a run's kernel while its data is prepared (see :func:`kit.notebook.warm_up`)."""
RESET = "get_ipython().run_line_magic('reset', '-f')"
"""Run in the kernel before each run (with :data:`WARM_UP`): a run starts with an empty
namespace (imported modules stay loaded), so it cannot read a variable left by the run
the kernel published before."""


class ReadyClient(AsyncKernelClient):
    """The client papermill (through nbclient) and :func:`run_silently` get from our kernel
    manager. Its readiness check is jupyter_client's (a ``kernel_info`` reply on the shell
    channel and a message on IOPub, so that both channels are connected) without the final
    wait for IOPub to stay silent for 0.2 s: every section notebook paid that wait, and the
    messages it flushes belong to other requests, which nbclient ignores anyway."""

    async def _async_wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (timeout if timeout is not None else 60)
        while True:
            self.kernel_info()
            try:
                reply = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                pass
            else:
                if reply["msg_type"] == "kernel_info_reply":
                    try:
                        await self.iopub_channel.get_msg(timeout=0.2)
                    except Empty:
                        pass  # IOPub not connected yet: ask again
                    else:
                        self._handle_kernel_info_reply(reply)
                        return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout} seconds")

    wait_for_ready = _async_wait_for_ready


def start_kernel(cwd: Path):
    """Start the project's kernel (``shop-report-kit``) in ``cwd``."""
    from jupyter_client.manager import AsyncKernelManager
    from nbclient.util import run_sync

    # The kernelspec declares CurveZMQ support; letting the manager provision keys encrypts
    # the local sockets and stops ipykernel warning about plain TCP.
    km = AsyncKernelManager(kernel_name=KERNEL, transport_encryption="auto",
                            client_class=f"{__name__}.{ReadyClient.__name__}")
    run_sync(km.start_kernel)(cwd=str(cwd))
    return km


def stop_kernel(km) -> None:
    from nbclient.util import run_sync

    run_sync(km.shutdown_kernel)(now=True)


def run_silently(km, code: str, timeout: float = 120) -> None:
    """Run ``code`` in the kernel and wait for it to finish (no output, no execution count).
    Its client is closed before a section's client connects: two clients talking to a
    booting kernel at once made it miss the other's readiness check."""
    from nbclient.util import run_sync

    client = km.client()
    client.start_channels()
    try:
        run_sync(client.wait_for_ready)(timeout=60)
        msg_id = client.execute(code, silent=True, store_history=False)
        while run_sync(client.get_shell_msg)(timeout=timeout)["parent_header"].get("msg_id") != msg_id:
            pass
    finally:
        client.stop_channels()


def warm_up_kernel(km) -> None:
    """Empty the kernel's namespace (:data:`RESET`), run :data:`WARM_UP` (imports, theme,
    fonts; instant in a kernel that published a run before) and wait for both."""
    run_silently(km, f"{RESET}\n{WARM_UP}")
