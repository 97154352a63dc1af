# Golden Path: one target per job. Every target sets itself up first (make setup).
#   make accept   the @critical acceptance run on the embedded stack, then the HTML report
#   make test     lint, pytest, the whole behave suite (all but @wip), then the report
# Extra behave options: make accept BEHAVE_ARGS="-D service_url=https://chat.example"
# One tag expression:   make behave TAGS="@slow and not @wip"  (default: behave.ini's)

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
VENV_STAMP := $(VENV)/.stamp
NODE_STAMP := node_modules/.stamp

RESULTS := reports/allure-results
JUNIT := reports/junit
REPORT := reports/allure-report
TAGS ?=
BEHAVE_ARGS ?=
# 1 adds this run to reports/history.jsonl; `make report` alone re-renders without adding.
ALLURE_APPEND_HISTORY ?= 0

# The venv first on PATH: the stack finds redis-server there, subprocesses its python.
export PATH := $(abspath $(VENV))/bin:$(PATH)
export VIRTUAL_ENV := $(abspath $(VENV))
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help setup lint pytest accept behave test report bench clean

help:
	@echo "make accept   @critical acceptance scenarios on the embedded stack + HTML report"
	@echo "make test     lint, pytest, all behave scenarios except @wip + HTML report"
	@echo "make lint     ruff check, ruff format --check, mypy"
	@echo "make pytest   fast tests (tests/)"
	@echo "make behave   one behave run and its summary line (TAGS=..., BEHAVE_ARGS=...)"
	@echo "make report   rebuild the HTML report from the last behave run"
	@echo "make bench    benchmarks in bench/ (if any)"
	@echo "make setup    .venv from requirements.txt, node_modules from package-lock.json"
	@echo "make clean    remove reports/ and tool caches"

setup: $(VENV_STAMP) $(NODE_STAMP)

$(VENV_STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(NODE_STAMP): package-lock.json package.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Each check runs even when an earlier one failed, so one run shows every problem.
lint: $(VENV_STAMP)
	@status=0; \
	echo "== ruff check"; ruff check . || status=1; \
	echo "== ruff format --check"; ruff format --check . || status=1; \
	echo "== mypy"; mypy || status=1; \
	exit $$status

pytest: $(VENV_STAMP)
	@status=0; python -m pytest -q || status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests" >&2; fi; \
	exit $$status

# The report is rendered even when scenarios failed; the exit code still says so.
accept: setup
	@status=0; \
	$(MAKE) behave TAGS='@critical and not @wip' || status=1; \
	$(MAKE) report ALLURE_APPEND_HISTORY=1 || status=1; \
	exit $$status

# One behave run with fresh result folders (stale results would leak into the report),
# then the summary line: behave exits 0 when a tag filter matches nothing, the summary not.
behave: $(VENV_STAMP)
	@rm -rf $(RESULTS) $(JUNIT)
	@mkdir -p $(RESULTS) $(JUNIT)
	@status=0; \
	echo "python -m behave $(if $(TAGS),--tags='$(TAGS)') $(BEHAVE_ARGS)"; \
	python -m behave $(if $(TAGS),--tags='$(TAGS)') $(BEHAVE_ARGS) || status=$$?; \
	python tools/behave_summary.py $(JUNIT) || status=1; \
	exit $$status

test: setup
	@status=0; \
	$(MAKE) lint || status=1; \
	$(MAKE) pytest || status=1; \
	$(MAKE) behave || status=1; \
	$(MAKE) report ALLURE_APPEND_HISTORY=1 || status=1; \
	exit $$status

report: $(NODE_STAMP)
	@test -d $(RESULTS) || { echo "no $(RESULTS): run make accept or make test first" >&2; exit 1; }
	rm -rf $(REPORT)
	ALLURE_APPEND_HISTORY=$(ALLURE_APPEND_HISTORY) npx --no -- allure generate $(RESULTS) --output $(REPORT)
	@echo "Allure report: $(abspath $(REPORT))/index.html"

bench: $(VENV_STAMP)
	@shopt -s nullglob; scripts=(bench/*.py); \
	if [ $${#scripts[@]} -eq 0 ]; then echo "no benchmarks in bench/"; exit 0; fi; \
	for script in "$${scripts[@]}"; do echo "== $$script"; python "$$script"; done

clean:
	rm -rf reports .mypy_cache .ruff_cache .pytest_cache .hypothesis
