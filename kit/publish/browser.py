"""Headless Chromium driven over the DevTools protocol (CDP) through a pipe.

One browser process loads the report once and prints it twice: the second print carries the
table of contents' page numbers read from the first (see ``export.print_pdf``). Measured on the
demo report against two ``chromium --print-to-pdf`` runs: the second print costs ~1 s instead of
a whole second run (~3 s: process start, loading the 2.7 MB page). The tests use the same client
to size the window, run a script in the page and take screenshots.

The protocol runs over ``--remote-debugging-pipe``: Chromium reads commands from its fd 3 and
writes answers and events to its fd 4, each a JSON message ended by a NUL byte. The process is
started with ``os.posix_spawn`` (file actions map the pipe ends to fds 3 and 4; safe from threads,
where reports are exported) in a session of its own, so that a timeout kills its renderer and
GPU children too. Only the few commands the kit needs are wrapped; see the protocol reference at
chromedevtools.github.io/devtools-protocol for their parameters.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import signal
import tempfile
import time
from pathlib import Path

from kit.errors import KitError

CHROMIUM_INSTALL = "apt-get install -y chromium fonts-noto-cjk"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--hide-scrollbars", "--remote-debugging-pipe")
# what `chromium --print-to-pdf --no-pdf-header-footer --generate-pdf-document-outline` prints
PDF_OPTIONS = {"preferCSSPageSize": True, "printBackground": True, "displayHeaderFooter": False,
               "generateDocumentOutline": True, "generateTaggedPDF": True}


def find_chromium() -> str:
    chromium = shutil.which("chromium")
    if chromium is None:
        raise KitError(f"printing the PDF needs Chromium and the Noto CJK fonts: {CHROMIUM_INSTALL} "
                       "(or publish with --no-pdf)")
    return chromium


class Browser:
    """A headless Chromium; use as a context manager. ``timeout`` bounds every single command."""

    def __init__(self, chromium: str | None = None, timeout: float = 180):
        self.timeout = timeout
        self._profile = tempfile.TemporaryDirectory(prefix="kit-chromium-")
        self._log = Path(self._profile.name) / "chromium.log"
        self._next_id = 0
        self._buffer = b""
        self._events: list[dict] = []
        commands_read, self._commands = os.pipe()
        self._answers, answers_write = os.pipe()
        # copies above the low fds, so that mapping them to 3 and 4 cannot overwrite one another
        ends = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (commands_read, answers_write)]
        os.close(commands_read)
        os.close(answers_write)
        argv = [chromium or find_chromium(), *FLAGS, f"--user-data-dir={self._profile.name}", "about:blank"]
        try:
            self.pid = os.posix_spawn(argv[0], argv, os.environ, setsid=True, file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
                (os.POSIX_SPAWN_OPEN, 2, str(self._log), os.O_WRONLY | os.O_CREAT, 0o600),
                (os.POSIX_SPAWN_DUP2, ends[0], 3),
                (os.POSIX_SPAWN_DUP2, ends[1], 4),
            ])
        except OSError as e:
            for fd in (*ends, self._commands, self._answers):
                os.close(fd)
            self._profile.cleanup()
            raise KitError(f"could not start Chromium ({argv[0]}): {e}") from None
        finally:
            for fd in ends:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._alive = True

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------ protocol

    def send(self, method: str, session: str | None = None, **params) -> dict:
        """Run one command and return its result; events that arrive meanwhile are kept."""
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        try:
            os.write(self._commands, json.dumps(message).encode("utf-8") + b"\0")
        except BrokenPipeError:
            raise self._died(method) from None
        deadline = time.monotonic() + self.timeout
        while True:
            answer = self._receive(deadline, method)
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise KitError(f"Chromium: {method} failed: {answer['error'].get('message')}")
                return answer.get("result", {})
            self._events.append(answer)

    def wait_for(self, event: str, session: str | None = None) -> dict:
        """The next event ``event`` (of ``session``), waiting at most ``timeout`` seconds."""
        deadline = time.monotonic() + self.timeout
        while True:
            for i, message in enumerate(self._events):
                if message.get("method") == event and (session is None or message.get("sessionId") == session):
                    return self._events.pop(i)
            self._events.append(self._receive(deadline, event))

    def _receive(self, deadline: float, waiting_for: str) -> dict:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._answers], [], [], left)[0]:
                self.kill()
                raise KitError(f"Chromium did not answer {waiting_for} within {self.timeout:.0f} s")
            chunk = os.read(self._answers, 1 << 20)
            if not chunk:
                raise self._died(waiting_for)
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def _died(self, waiting_for: str) -> KitError:
        self.kill()
        lines = [line for line in self._log.read_text(errors="replace").splitlines() if line.strip()][-1:]
        return KitError(f"Chromium quit during {waiting_for}: {lines[0] if lines else 'no message'}")

    # ------------------------------------------------------------ pages

    def page(self, width: int = 1280, height: int = 800, mobile: bool = False) -> Page:
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        page = Page(self, session)
        self.send("Page.enable", session)
        page.resize(width, height, mobile)
        return page

    # ------------------------------------------------------------ end

    def close(self) -> None:
        """Ask Chromium to quit, wait for it (killing it after 10 s) and remove its profile."""
        if self._alive:
            try:
                os.write(self._commands, json.dumps({"id": 0, "method": "Browser.close"}).encode() + b"\0")
            except OSError:
                pass
            deadline = time.monotonic() + 10
            while not self._reaped():
                if time.monotonic() > deadline:
                    self.kill()
                    break
                time.sleep(0.02)
        self._cleanup()

    def kill(self) -> None:
        """Kill Chromium and its children (its process group) now."""
        if self._alive and not self._reaped():
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.waitpid(self.pid, 0)
        self._cleanup()

    def _reaped(self) -> bool:
        try:
            return os.waitpid(self.pid, os.WNOHANG) != (0, 0)
        except ChildProcessError:
            return True

    def _cleanup(self) -> None:
        if self._alive:
            self._alive = False
            for fd in (self._commands, self._answers):
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._profile.cleanup()


class Page:
    """One tab of a ``Browser``."""

    def __init__(self, browser: Browser, session: str):
        self.browser = browser
        self.session = session

    def send(self, method: str, **params) -> dict:
        return self.browser.send(method, self.session, **params)

    def resize(self, width: int, height: int, mobile: bool = False) -> None:
        self.send("Emulation.setDeviceMetricsOverride", width=width, height=height,
                  deviceScaleFactor=2 if mobile else 1, mobile=mobile)

    def open(self, path: Path) -> None:
        """Load a file and wait for its load event and its web fonts."""
        self.send("Page.navigate", url=Path(path).resolve().as_uri())
        self.browser.wait_for("Page.loadEventFired", self.session)
        self.evaluate("document.fonts.ready.then(() => true)")

    def evaluate(self, expression: str):
        """The value of a JavaScript expression in the page (promises are awaited). DevTools
        commands are not scripts of the page: its Content-Security-Policy does not apply."""
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise KitError(f"script failed in the page: {details.get('exception', {}).get('description') or details.get('text')}")
        return result["result"].get("value")

    def print_pdf(self, path: Path) -> Path:
        """Print the page to ``path`` as Chromium's own --print-to-pdf does (page size and margins
        from the page's CSS, document outline, tagged)."""
        data = self.send("Page.printToPDF", **PDF_OPTIONS)["data"]
        Path(path).write_bytes(base64.b64decode(data))
        return Path(path)

    def screenshot(self, path: Path, full_page: bool = False) -> Path:
        params = {"format": "png", "captureBeyondViewport": full_page}
        data = self.send("Page.captureScreenshot", **params)["data"]
        Path(path).write_bytes(base64.b64decode(data))
        return Path(path)
