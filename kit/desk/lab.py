"""``kit lab`` (``make lab``): JupyterLab on ``notebooks/`` with the project's kernel.

JupyterLab lives in its own virtual environment, ``.venv-lab`` (the Makefile says why); the
project's kernel ``shop-report-kit`` is registered in it and runs ``.venv``'s Python, so the
notebooks import this checkout's ``kit``. ``kit lab`` checks both are there, writes the lab's
settings that the kit's notebooks rely on, and replaces itself with ``jupyter lab``:

- it opens on ``notebooks/README.md``, rendered (what each notebook is, how to run one on
  another params file);
- the table of contents lists the heading cells of each notebook, numbered as the report numbers
  them, and not the headings a run writes into the outputs (which would list each twice);
- the project's kernel is the only one offered, and the default of a new notebook (the lab
  environment's own ``python3`` kernel has neither ``kit`` nor its libraries);
- as root (a container, a CI runner) it passes ``--allow-root``, without which Jupyter refuses
  to start. The server listens on localhost with a token, as Jupyter does by default; it prints
  the URL to open, token included. Further arguments go to ``jupyter lab`` unchanged.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from kit.errors import KitError

REPO = Path(__file__).resolve().parent.parent.parent
KERNEL = "shop-report-kit"
LANDING = "README.md"
"""The page JupyterLab opens on, in ``notebooks/``."""
SETTINGS = {
    # the headings a run writes as outputs would repeat each heading cell in the table of contents
    "@jupyterlab/toc-extension:registry": {"includeOutput": False},
    # notebooks/README.md opens rendered, not in the text editor
    "@jupyterlab/docmanager-extension:plugin": {"defaultViewers": {"markdown": "Markdown Preview"}},
}
"""JupyterLab settings the kit sets (``overrides.json`` of the lab's environment): defaults an
analyst can still change in JupyterLab's settings editor."""


def lab_venv() -> Path:
    """The environment JupyterLab is installed in (``KIT_LAB_VENV``, else ``.venv-lab``)."""
    return Path(os.environ.get("KIT_LAB_VENV", REPO / ".venv-lab"))


def notebooks_dir() -> Path:
    from kit.publish.batch import NOTEBOOKS

    return NOTEBOOKS


def lab_command(venv: Path, notebooks: Path, extra: list[str], as_root: bool) -> list[str]:
    """The ``jupyter lab`` command line."""
    command = [str(venv / "bin" / "jupyter"), "lab", f"--ServerApp.root_dir={notebooks}",
               f"--LabApp.default_url=/lab/tree/{LANDING}",
               # a new notebook gets the project's kernel: the lab's own python3 has neither kit nor polars
               f"--MappingKernelManager.default_kernel_name={KERNEL}", f"--KernelSpecManager.allowed_kernelspecs={KERNEL}"]
    if as_root:
        command.append("--allow-root")
    return command + list(extra)


def write_settings(venv: Path) -> Path:
    """Merge :data:`SETTINGS` into the lab environment's ``overrides.json`` (other plugins'
    overrides, and other keys of these plugins, are kept)."""
    path = venv / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    current = {}
    if path.exists():
        try:
            current = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            raise KitError(f"{path} is not valid JSON; fix or delete it (JupyterLab's setting overrides).") from None
    for plugin, values in SETTINGS.items():
        current[plugin] = {**current.get(plugin, {}), **values}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(current, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def check_installed(venv: Path) -> None:
    """JupyterLab and the project's kernel are where ``make lab`` puts them."""
    if not (venv / "bin" / "jupyter-lab").exists():
        raise KitError(f"JupyterLab is not installed in {venv}: run `make lab` (it installs it once).")
    spec = venv / "share" / "jupyter" / "kernels" / KERNEL / "kernel.json"
    if not spec.exists():
        raise KitError(f"the {KERNEL} kernel is not registered in {venv}: run `make lab` (it registers it).")
    python = json.loads(spec.read_text(encoding="utf-8"))["argv"][0]
    if not Path(python).exists():
        raise KitError(f"the {KERNEL} kernel runs {python}, which does not exist (a moved checkout?): run `make lab` "
                       "again to register it.")


def run_lab(extra: list[str]) -> None:
    """Replace this process by JupyterLab (so that Ctrl-C and signals reach it directly)."""
    venv, notebooks = lab_venv(), notebooks_dir()
    check_installed(venv)
    if not (notebooks / LANDING).exists():
        raise KitError(f"{notebooks / LANDING} is missing: restore it from git (JupyterLab opens on it).")
    write_settings(venv)
    command = lab_command(venv, notebooks, extra, as_root=os.geteuid() == 0)
    print(f"JupyterLab on {notebooks} with the {KERNEL} kernel; open the URL it prints below "
          f"(http://localhost:PORT/lab/tree/{LANDING}?token=...). Ctrl-C stops it.", flush=True)
    sys.stdout.flush()
    os.execv(command[0], command)
