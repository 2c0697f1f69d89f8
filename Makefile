# CNN Lab — `make run` to use it, `make test` to check it.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
PORT ?= 8501
# Pinned here for reproducible runs and CI; pyproject.toml keeps ranges for everyone else.
TORCH_PINS ?= torch==2.14.1 torchvision==0.29.1

.PHONY: run dev test test-fast bench assets prefetch install dev-install clean docker-smoke i18n

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q $(TORCH_PINS) || $(PIP) install -q torch torchvision
	$(PIP) install -q -e .
	@touch $@

$(VENV)/.dev-installed: $(VENV)/.installed
	$(PIP) install -q -e '.[dev]'
	@touch $@

install: $(VENV)/.installed
dev-install: $(VENV)/.dev-installed

run: install
	@echo "CNN Lab: open http://localhost:$(PORT)"
	$(VENV)/bin/streamlit run dashboard/app.py --server.port $(PORT) --browser.gatherUsageStats false

dev: install  # with hot reload on file changes and tracebacks shown (CNNLAB_DEBUG=1)
	CNNLAB_DEBUG=1 $(VENV)/bin/streamlit run dashboard/app.py --server.port $(PORT) --server.fileWatcherType auto

test: dev-install
	mkdir -p artifacts
	CNNLAB_OFFLINE=1 $(PY) -m pytest -q -p no:cacheprovider --durations=15

test-fast: dev-install  # no browser
	CNNLAB_OFFLINE=1 $(PY) -m pytest -q -m "not e2e"

bench: dev-install  # every benchmark, then each row's ratio against its target (issue 20) gathered at the end
	@mkdir -p artifacts; set -o pipefail; \
	for f in bench/bench_*.py; do echo "== $$f"; $(PY) $$f || exit 1; done 2>&1 | tee artifacts/bench.log
	@echo; echo "== targets (from artifacts/bench.log)"; \
	grep -E "^== |target|PASS|FAIL|[^a-z]pass |above" artifacts/bench.log || true

assets: install
	@set -e; for f in scripts/make_*.py; do [ -e "$$f" ] || continue; echo "== $$f"; $(PY) $$f; done

prefetch: install
	$(VENV)/bin/cnnlab prefetch

docker-smoke: dev-install  # build the image (podman), run it with --network none, open every page in it; slow, not in `make test`; SMOKE_ARGS=--cold times a build without cache too
	TORCH_PINS="$(TORCH_PINS)" $(PY) scripts/docker_smoke.py $(SMOKE_ARGS)

i18n: install  # extract marked strings (babel.cfg) into locales/cnnlab.pot, merge into each catalog, compile
	$(VENV)/bin/pybabel extract -F babel.cfg -k _ -k N_ -k ngettext:1,2 --no-location --sort-output \
	  --project "CNN Lab" -o locales/cnnlab.pot core dashboard pages
	$(VENV)/bin/pybabel update -D cnnlab -i locales/cnnlab.pot -d locales --width 100 --ignore-obsolete
	# compiled as the app compiles it: pybabel compile would read "(12 % lower)" as a printf format;
	# tests/test_i18n.py checks the {placeholders} instead
	$(VENV)/bin/python -c 'from dashboard.i18n import LOCALES, _compile; \
	  [_compile(p, p.with_suffix(".mo")) for p in LOCALES.glob("*/LC_MESSAGES/cnnlab.po")]'

clean:
	rm -rf artifacts .pytest_cache
