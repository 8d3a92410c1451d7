# Two commands for a fresh Debian machine:  make report   |   make test
# Everything else (setup, system, demo) is what those two need, done only when missing.

VENV    ?= .venv
PY      := $(VENV)/bin/python
KIT     := $(VENV)/bin/kit
STAMP   := $(VENV)/.installed
KERNEL  := shop-report-kit
APT_PKGS := chromium fonts-noto-cjk poppler-utils fontconfig
PYTEST_ARGS ?=

.PHONY: report test setup system demo lab lab-env bench lint clean

report: setup system demo                       ## publish the demo report into output/
	$(KIT) publish params/demo.yaml

test: setup system lab-env                      ## the whole test suite (unit, nbval, end-to-end, the lab server)
	$(VENV)/bin/pytest -n 2 --dist loadfile $(PYTEST_ARGS)

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev,spark]'
	$(PY) -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Shop report kit" >/dev/null
	@touch $(STAMP)

system:                                         ## chromium (PDF), CJK fonts, poppler (PDF checks), PostgreSQL (database tests), Java 17 (the spark extra)
	@missing=""; \
	if $(PY) -c 'import pyspark' >/dev/null 2>&1 && ! { command -v java >/dev/null 2>&1 && java -version 2>&1 | grep -qE 'version "(1[7-9]|2[0-9])'; }; then \
	  missing="$$missing openjdk-17-jre-headless"; \
	fi; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v pdftotext >/dev/null 2>&1 || missing="$$missing poppler-utils"; \
	command -v fc-list >/dev/null 2>&1 || missing="$$missing fontconfig"; \
	(command -v fc-list >/dev/null 2>&1 && fc-list :lang=zh family | grep -q .) || missing="$$missing fonts-noto-cjk"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing system packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else \
	    echo "missing system packages:$$missing"; echo "run:  sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi

demo: setup                                     ## build the demo shop into data/demo/ if missing or made by an older generator
	@$(KIT) demo --out data/demo

# JupyterLab lives in its own venv: installed beside nbformat it adds ~0.9 s to every
# `import nbformat` (jsonschema format checkers), which every report run would pay. Its kernel
# `shop-report-kit` runs .venv's Python, so the notebooks import this checkout's kit.
LAB_VENV  ?= .venv-lab
LAB_STAMP := $(LAB_VENV)/.installed
LAB_ARGS  ?=
lab: setup demo lab-env                         ## JupyterLab on notebooks/ (as root too); LAB_ARGS="--port 9999 --no-browser"
	$(KIT) lab $(LAB_ARGS)

lab-env: $(LAB_STAMP)                           ## JupyterLab in .venv-lab with the project's kernel (lab, and its test)

$(LAB_STAMP): $(STAMP)
	@test -x $(LAB_VENV)/bin/jupyter-lab || (python3 -m venv $(LAB_VENV) && $(LAB_VENV)/bin/pip install -q 'jupyterlab>=4.2,<5')
	@# the install warns that .venv-lab's kernels folder is not .venv's: that is the point
	$(PY) -m ipykernel install --prefix $(LAB_VENV) --name $(KERNEL) --display-name "Shop report kit" >/dev/null 2>&1
	@touch $(LAB_STAMP)

bench: setup demo                               ## speed targets (not part of the tests)
	$(PY) bench/run.py $(BENCH_ARGS)

lint: setup
	$(VENV)/bin/ruff check kit tests

clean:
	rm -rf .cache output/*/ output/index.html
