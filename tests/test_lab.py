"""``make lab`` as an analyst meets it: ``kit lab`` starts JupyterLab (as root too, as these tests
run in CI), prints the URL, opens on notebooks/README.md, offers the project's kernel, and a
section notebook runs in a kernel of that spec through the server, as JupyterLab runs it.

The server comes from ``.venv-lab``, which ``make test`` installs (``make lab-env``); started
once for this module on 127.0.0.1, a free port and a token, and always stopped.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import labserver
import pytest
from conftest import REPO, write_params

from kit.desk.lab import KERNEL, SETTINGS, check_installed, lab_command, lab_venv
from kit.params import load_params
from kit.run import prepare_run

pytestmark = pytest.mark.xdist_group("lab")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    try:
        check_installed(lab_venv())
    except Exception as e:  # noqa: BLE001
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no JupyterLab for the lab tests ({e})")
    server = labserver.start(tmp_path_factory.mktemp("lab"))
    yield server
    labserver.stop(server)


def test_lab_starts_prints_its_url_and_opens_on_the_notebooks_readme(lab):
    log = lab.log.read_text(encoding="utf-8", errors="replace")
    assert f"http://127.0.0.1:{lab.port}/lab/tree/README.md?token=" in log, log[-2000:]
    if os.geteuid() == 0:
        assert "Running as root is not recommended" not in log  # it would have stopped there
    status, headers, _ = lab.request("GET", "/", follow=False)
    assert status == 302 and headers["Location"].split("?")[0].endswith("/lab/tree/README.md")
    status, _, readme = lab.request("GET", "/api/contents/README.md")
    assert status == 200 and "kit new-section" in readme["content"]
    # the kit's settings are the lab's defaults (overrides.json): the table of contents lists the
    # heading cells, not the run's outputs too, and the README opens rendered
    status, _, toc = lab.request("GET", "/lab/api/settings/@jupyterlab/toc-extension:registry")
    assert status == 200 and toc["schema"]["properties"]["includeOutput"]["default"] is False
    _, _, docs = lab.request("GET", "/lab/api/settings/@jupyterlab/docmanager-extension:plugin")
    assert docs["schema"]["properties"]["defaultViewers"]["default"]["markdown"] == "Markdown Preview"


def test_lab_offers_the_project_kernel_which_runs_this_checkouts_python(lab):
    status, _, specs = lab.request("GET", "/api/kernelspecs")
    assert status == 200 and KERNEL in specs["kernelspecs"], sorted(specs.get("kernelspecs", {}))
    # the only kernel, and a new notebook's: the lab's own python3 could not import kit
    assert specs["default"] == KERNEL and list(specs["kernelspecs"]) == [KERNEL]
    argv = specs["kernelspecs"][KERNEL]["spec"]["argv"]
    assert Path(argv[0]).resolve() == Path(sys.executable).resolve()  # .venv's Python: it imports this kit


def test_a_section_notebook_runs_through_the_server_in_a_kernel_of_that_spec(lab, small_demo, tmp_path):
    params = write_params(tmp_path, small_demo)
    work = prepare_run(load_params(params)[0], tmp_path / "work").work_dir
    nb = json.loads((REPO / "notebooks" / "03_rfm.ipynb").read_text(encoding="utf-8"))
    code = []
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            code.append("".join(cell["source"]))
            if "parameters" in cell["metadata"].get("tags", []):
                code.append(f"work_dir = {str(work)!r}")  # as papermill injects it after the parameters cell
    status, _, session = lab.request("POST", "/api/sessions", {"path": "03_rfm.ipynb", "type": "notebook",
                                                               "name": "03_rfm.ipynb", "kernel": {"name": KERNEL}})
    assert status == 201, session
    try:
        assert session["kernel"]["name"] == KERNEL
        ran = labserver.execute_cells(lab, session["kernel"]["id"], code)
    finally:
        lab.request("DELETE", f"/api/sessions/{session['id']}")
    errors = [o["content"] for r in ran for o in r["outputs"] if o["msg_type"] == "error"]
    assert not errors, f"{errors[0]['ename']}: {errors[0]['evalue']}" if errors else ""
    assert len(ran) == len(code)
    outputs = [o["content"] for r in ran for o in r["outputs"] if o["msg_type"] == "display_data"]
    assert any(o["data"].get("text/markdown", "").startswith("# 客户价值评估") for o in outputs)
    assert sum("image/png" in o["data"] for o in outputs) >= 2, "the section's charts were drawn"
    assert (work / "metrics" / "rfm.json").exists(), "the notebook recorded its figures in the run"


def test_lab_passes_allow_root_only_as_root():
    venv, notebooks = Path("/v"), Path("/n")
    as_root = lab_command(venv, notebooks, ["--port", "9"], as_root=True)
    as_user = lab_command(venv, notebooks, [], as_root=False)
    assert "--allow-root" in as_root and "--allow-root" not in as_user
    assert as_root[:2] == ["/v/bin/jupyter", "lab"] and as_root[-2:] == ["--port", "9"]
    assert "--ServerApp.root_dir=/n" in as_user and "--LabApp.default_url=/lab/tree/README.md" in as_user


def test_lab_settings_keep_the_analysts_own(tmp_path):
    from kit.desk.lab import write_settings

    path = tmp_path / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"@jupyterlab/apputils-extension:themes": {"theme": "JupyterLab Dark"},
                                "@jupyterlab/toc-extension:registry": {"maximalDepth": 2}}), encoding="utf-8")
    written = json.loads(write_settings(tmp_path).read_text(encoding="utf-8"))
    assert written["@jupyterlab/apputils-extension:themes"] == {"theme": "JupyterLab Dark"}
    assert written["@jupyterlab/toc-extension:registry"] == {"maximalDepth": 2, "includeOutput": False}
    assert written["@jupyterlab/docmanager-extension:plugin"] == SETTINGS["@jupyterlab/docmanager-extension:plugin"]
