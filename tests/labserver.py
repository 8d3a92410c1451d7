"""A JupyterLab server for the tests, started as ``make lab`` starts it (``kit lab``), and a
minimal client of its REST API and kernel websocket (the messages JupyterLab itself sends).

The server listens on 127.0.0.1 on a free port, with a token, and keeps its configuration,
runtime and data folders in a temporary folder: the user's Jupyter settings and kernels play
no part, and nothing is left behind. :func:`stop` shuts it down through the API, then ends its
process group whatever happened.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
KIT = REPO / ".venv" / "bin" / "kit"
START_TIMEOUT = 120  # a loaded 2-core machine: the server needs ~3 s alone, much more beside a test run


@dataclass
class Lab:
    port: int
    token: str
    process: subprocess.Popen
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def request(self, method: str, path: str, body: dict | None = None, follow: bool = True):
        """(status, headers, parsed JSON body or text) of an API request with the token."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Authorization": f"token {self.token}",
                                              "Content-Type": "application/json"})
        opener = urllib.request.build_opener() if follow else urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(req, timeout=30) as response:
                status, headers, raw = response.status, response.headers, response.read()
        except urllib.error.HTTPError as e:
            status, headers, raw = e.code, e.headers, e.read()
        text = raw.decode("utf-8", "replace")
        try:
            return status, headers, json.loads(text)
        except json.JSONDecodeError:
            return status, headers, text


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(folder: Path) -> Lab:
    """Start ``kit lab`` headless on 127.0.0.1 and wait until its API answers."""
    token = secrets.token_hex(16)
    port = free_port()
    env = {**os.environ, "JUPYTER_TOKEN": token}
    for name in ("config", "runtime", "data"):
        (folder / name).mkdir(parents=True, exist_ok=True)
        env[f"JUPYTER_{name.upper()}_DIR"] = str(folder / name)
    log = folder / "lab.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [str(KIT), "lab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
             "--ServerApp.port_retries=0"],
            env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    lab = Lab(port, token, process, log)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"kit lab exited with {process.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            if lab.request("GET", "/api/status")[0] == 200:
                return lab
        except OSError:
            pass
        time.sleep(0.3)
    stop(lab)
    raise RuntimeError(f"kit lab did not answer within {START_TIMEOUT} s:\n{log.read_text(errors='replace')[-3000:]}")


def stop(lab: Lab) -> None:
    """Shut the server down (it stops its kernels), then end its process group in any case."""
    try:
        lab.request("POST", "/api/shutdown")
        lab.process.wait(timeout=20)
    except Exception:  # noqa: BLE001 - it may be gone or stuck: the signals below end it
        pass
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(lab.process.pid, sig)
        except ProcessLookupError:
            break
        try:
            lab.process.wait(timeout=10)
            break
        except subprocess.TimeoutExpired:
            continue


# ---------------------------------------------------------------- running code in a kernel


def execute_cells(lab: Lab, kernel_id: str, cells: list[str], timeout: float = 300) -> list[dict]:
    """Run each code string in the kernel as JupyterLab does (an ``execute_request`` on the
    kernel's websocket) and return, per cell, its IOPub outputs (``msg_type`` and ``content``).
    Stops at the first cell that raises, which is the last returned (with its ``error``)."""
    return asyncio.run(_execute(lab, kernel_id, cells, timeout))


async def _execute(lab: Lab, kernel_id: str, cells: list[str], timeout: float) -> list[dict]:
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    session = uuid.uuid4().hex
    url = f"ws://127.0.0.1:{lab.port}/api/kernels/{kernel_id}/channels?session_id={session}"
    ws = await websocket_connect(HTTPRequest(url, headers={"Authorization": f"token {lab.token}"}))
    results = []
    try:
        for code in cells:
            msg_id = uuid.uuid4().hex
            await ws.write_message(json.dumps({
                "header": {"msg_id": msg_id, "msg_type": "execute_request", "session": session,
                           "username": "test", "version": "5.3"},
                "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
                "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                            "allow_stdin": False, "stop_on_error": True},
            }))
            outputs, replied, idle = [], False, False
            while not (replied and idle):
                raw = await asyncio.wait_for(ws.read_message(), timeout)
                if raw is None:
                    raise RuntimeError("the kernel's websocket closed")
                if isinstance(raw, bytes):  # binary frames carry buffers only (widgets): not ours
                    continue
                msg = json.loads(raw)
                if msg.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                kind = msg["msg_type"]
                if msg["channel"] == "shell" and kind == "execute_reply":
                    replied = True
                elif kind == "status":
                    idle = msg["content"]["execution_state"] == "idle"
                elif kind in ("display_data", "execute_result", "stream", "error"):
                    outputs.append({"msg_type": kind, "content": msg["content"]})
            results.append({"code": code, "outputs": outputs})
            if any(o["msg_type"] == "error" for o in outputs):
                break
    finally:
        ws.close()
    return results
