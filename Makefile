# Golden Path: one target per job. Every target sets itself up first (make setup).
#   make accept   the @critical acceptance run on the embedded stack, then the HTML report
#   make test     lint, pytest, the whole behave suite (all but @wip), then the report
#   make parallel the suite in parallel processes (behavex) over one shared stack, then the report
# Extra behave options: make accept BEHAVE_ARGS="-D service_url=https://chat.example"
# Through nginx in front of two embedded instances: make accept TARGET=proxy (also behave, test)
# Against a deployment: make accept SERVICE_URL=https://staging.example [OPERATOR_URL=...]
#   [WEB_APP=...] [OIDC_ISSUER=...] [SIGNING_SECRET=...]; a staging started here first: make accept TARGET=staging
#   (docs/developing.md, "Against a staging deployment")
# One tag expression:   make behave TAGS="@slow and not @wip"  (default: behave.ini's)
# Without Chromium or nginx a @critical scenario that needs it fails the run (tools/skip_rule.py)
# unless allowed: make accept ALLOW_SKIPS=chromium (or ui,balancer; or 1 for any tool)

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
COVERAGE := reports/coverage
BEHAVEX_OUT := reports/behavex
TAGS ?=
BEHAVE_ARGS ?=
# proxy: the embedded stack behind nginx (deploy/nginx/), every scenario through the balancer.
# staging: a deployment started here as a process of its own (tools/staging.py), the suite
# pointed at it as at any deployment.
TARGET ?=
# A deployment the suite does not control: its address, its operators' listeners (comma-separated),
# the web app it trusts, the test sign-in provider it trusts (OIDC_ISSUER=http://HOST:PORT: the
# suite's provider listens there; OIDC_CLIENT_ID when not golden-path-web); SIGNING_SECRET (its
# key: @signing_key scenarios) is read from the environment, so it is never printed on a command
# line.
SERVICE_URL ?=
OPERATOR_URL ?=
WEB_APP ?=
OIDC_ISSUER ?=
OIDC_CLIENT_ID ?=
DEPLOYMENT_ARGS = $(if $(SERVICE_URL),-D service_url=$(SERVICE_URL)) \
	$(if $(OPERATOR_URL),-D operator_url=$(OPERATOR_URL)) $(if $(WEB_APP),-D web_app=$(WEB_APP)) \
	$(if $(OIDC_ISSUER),-D oidc_issuer=$(OIDC_ISSUER)) \
	$(if $(OIDC_CLIENT_ID),-D oidc_client_id=$(OIDC_CLIENT_ID))
RUN_ARGS = $(strip $(BEHAVE_ARGS) $(if $(filter-out staging,$(TARGET)),-D target=$(TARGET)) \
	$(DEPLOYMENT_ARGS))
# make bench: options for the benchmark, e.g. BENCH_ARGS="--crowds 20,100" (default 20,100,1000).
BENCH_ARGS ?=
# Tools whose absence may skip @critical scenarios without failing the quality gate.
ALLOW_SKIPS ?=
export ALLOW_SKIPS
# 1 adds this run to reports/history.jsonl; `make report` alone re-renders without adding.
ALLURE_APPEND_HISTORY ?= 0
# make behave, accept, test: behave processes, each with a stack of its own, the features dealt
# between them (tools/shards.py: docs/developing.md, "Where the suite's time goes"); SHARDS=1 is
# one plain behave process, as are external servers (DATABASE_URL, REDIS_URL: one database) and
# deployments (SERVICE_URL, TARGET=staging: one service).
SHARDS ?= 2
BEHAVE_RUN = $(strip $(if $(filter staging,$(TARGET)),python -m tools.staging -- python -m behave,\
	$(if $(or $(filter 1,$(SHARDS)),$(DATABASE_URL),$(REDIS_URL),$(SERVICE_URL)),\
	python -m behave,python -m tools.shards --shards $(SHARDS))))
# make pytest: processes running the tests (pytest-xdist's -n), each test file whole in one.
PYTEST_WORKERS ?= 4
PYTEST_ARGS = $(if $(filter 0,$(PYTEST_WORKERS)),,-n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder)
# make parallel: worker processes and what each one runs (a feature file, or a scenario).
WORKERS ?= 2
SCHEME ?= feature
# make system: Debian's packages, each with the program whose presence means it is installed.
SYSTEM_PACKAGES := /usr/bin/chromium=chromium,chromium-driver /usr/sbin/nginx=nginx \
	/usr/bin/promtool=prometheus
# Debian's prometheus package: checks deploy/prometheus/ in make lint.
PROMTOOL := /usr/bin/promtool

# The venv first on PATH: the stack finds redis-server there, subprocesses its python.
export PATH := $(abspath $(VENV))/bin:$(PATH)
export VIRTUAL_ENV := $(abspath $(VENV))
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help doctor setup lock lint pytest accept behave rerun check test report parallel system browser bench load soak mutants clean steps

help:
	@echo "make accept   @critical acceptance scenarios on the embedded stack + HTML report"
	@echo "make test     lint, pytest, all behave scenarios except @wip + HTML report"
	@echo "make doctor   is every prerequisite here (Python, make, Node.js, Chromium, nginx, ...)?"
	@echo "              prints the fix for each missing one"
	@echo "make check    lint, pytest, the @critical scenarios + HTML report (CI on every push)"
	@echo "make lint     ruff check, ruff format --check, mypy, the Gherkin check, the import contracts,"
	@echo "             promtool on the alert rules (deploy/prometheus/), the step catalogue (make steps)"
	@echo "make pytest   fast tests (tests/), with coverage"
	@echo "make behave   one behave run and its summary line (TAGS=..., BEHAVE_ARGS=...)"
	@echo "             (accept, behave, test: SHARDS=2 processes, each with its own stack; SHARDS=1: one)"
	@echo "make rerun    again only the scenarios that failed last time (reports/rerun.txt) + report"
	@echo "make report   rebuild the HTML report (and the capability overview) from the last run"
	@echo "make steps    the step catalogue docs/steps.md (every sentence, its parameters, an example)"
	@echo "             and the editor's step settings (.vscode/settings.json); make lint checks both"
	@echo "make parallel the suite in WORKERS processes (behavex) over one shared stack + report"
	@echo "make system   as root: Debian's Chromium (@ui, the report check), nginx (the topology"
	@echo "             behind a balancer), prometheus (promtool for make lint); make setup runs it"
	@echo "make bench    benchmarks in bench/ (if any)"
	@echo "make load     Locust: USERS people ask at once (SPAWN_RATE, DURATION, WORKERS, INSTANCES, HOST)"
	@echo "make soak     Locust: 1,000 open chats asking every minute for 5 min; memory, files, nothing lost"
	@echo "             (both fail when a promise of load/promises.py is missed: docs/capacity.md)"
	@echo "make mutants  seed each defect of tests/mutants/ in a scratch copy: which scenario caught it"
	@echo "make setup    .venv from the hashed lock requirements.txt + the project (editable),"
	@echo "             node_modules from package-lock.json, Debian's packages (make system)"
	@echo "make lock     requirements.txt anew from pyproject.toml, every extra (pip-compile, hashes)"
	@echo "make clean    remove reports/ and tool caches"

# Every prerequisite of the machine, and the command that installs each missing one. Standard
# library only: it runs before the venv exists (which it also reports).
doctor:
	@PYTHON=$(PYTHON) $(PYTHON) tools/doctor.py

setup: $(VENV_STAMP) $(NODE_STAMP) system

# Every dependency from the hashed lock (requirements.txt: the service's and every extra's),
# then the project itself, editable, without touching the lock's pins: its console scripts work
# and no script edits sys.path.
$(VENV_STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

# requirements.txt anew from pyproject.toml's pins: every transitive dependency of the service
# and of every extra (suite, load, dev), with hashes.
lock: $(VENV_STAMP)
	pip-compile --quiet --allow-unsafe --generate-hashes --all-extras --strip-extras \
		--no-emit-index-url --no-emit-find-links --output-file requirements.txt pyproject.toml

$(NODE_STAMP): package-lock.json package.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Each check runs even when an earlier one failed, so one run shows every problem.
lint: $(VENV_STAMP)
	@status=0; \
	echo "== ruff check"; ruff check . || status=1; \
	echo "== ruff format --check"; ruff format --check . || status=1; \
	echo "== mypy"; mypy || status=1; \
	echo "== gherkin check"; python -m tools.gherkin_check || status=1; \
	echo "== step catalogue (docstrings, dead steps, make steps)"; \
		python -m tools.step_catalogue --check || status=1; \
	echo "== step imports (tasks, questions, interactions only)"; \
		python -m tools.step_imports || status=1; \
	echo "== import contracts"; lint-imports --no-logo --no-cache || status=1; \
		python -m tools.import_drawing --check || status=1; \
	echo "== promtool (deploy/prometheus)"; \
	if [ -x $(PROMTOOL) ]; then \
		$(PROMTOOL) check config deploy/prometheus/prometheus.yml >/dev/null || status=1; \
		$(PROMTOOL) check rules deploy/prometheus/alerts.yml || status=1; \
		(cd deploy/prometheus && $(PROMTOOL) test rules alerts_test.yml) || status=1; \
	else \
		echo "$(PROMTOOL) is missing: make setup as root installs it (Debian's prometheus)" >&2; \
		status=1; \
	fi; \
	exit $$status

# tests/tools/test_report_browser.py renders a report (Allure from node_modules) and opens it in
# Chromium (make system): both are set up first.
# Under coverage, the service processes the tests start included (pyproject's [tool.coverage]):
# the total is printed, kept in reports/coverage/ (HTML too) and shown in the report's environment.
# The tests run in PYTEST_WORKERS processes (pytest-xdist), each test file whole in one of them
# (--dist loadfile: a module's stack is started once); most of a stack test's time is spent
# waiting on processes, not on a core, so more workers than cores pay (docs/developing.md,
# "Where `make test`'s time goes"). Each worker is a Python subprocess, measured like the service
# processes; PYTEST_WORKERS=0 is one plain process. The tests that hold a wall-clock budget
# (@pytest.mark.timing) run after them in one process: the workers' own load is not theirs. They
# stay traced: 16 statements are run by them alone (the frame budget's refusal, the index's bound).
pytest: $(VENV_STAMP) $(NODE_STAMP) system
	@rm -rf $(COVERAGE)
	@mkdir -p $(COVERAGE)
	@status=0; coverage run -m pytest -q $(PYTEST_ARGS) -m 'not timing' || status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests" >&2; fi; \
	echo "== the @pytest.mark.timing tests, one at a time"; \
	coverage run -m pytest -q -m timing || { s=$$?; [ $$status -ne 0 ] || status=$$s; }; \
	coverage combine -q && { coverage html -q -d $(COVERAGE)/html & html=$$!; \
		coverage json -q -o $(COVERAGE)/coverage.json; json=$$?; wait $$html && [ $$json -eq 0 ]; } \
		&& echo "coverage: $$(python -c 'import json, sys; print(json.load(open(sys.argv[1]))["totals"]["percent_covered_display"])' $(COVERAGE)/coverage.json)%" \
			"of the lines of service, driver, harness, fixtures, tools and load (reports/coverage/html)" \
		|| status=1; \
	exit $$status

# The report is rendered even when scenarios failed; the exit code still says so. The @ui
# scenarios drive Chromium (make system).
accept: setup
	@status=0; \
	$(MAKE) behave TAGS='@critical and not @wip' || status=1; \
	$(MAKE) report ALLURE_APPEND_HISTORY=1 || status=1; \
	exit $$status

# One behave run with fresh result folders (stale results would leak into the report), the
# quality gate (every selected scenario reported, no @critical failure: behave exits 0 when a
# tag filter matches nothing, the gate not), then the summary line.
behave: $(VENV_STAMP)
	@rm -rf $(RESULTS) $(JUNIT) reports/quality-gate.json $(RERUN_FILE)
	@mkdir -p $(RESULTS) $(JUNIT)
	@status=0; \
	echo "$(BEHAVE_RUN) $(if $(TAGS),--tags='$(TAGS)') $(RUN_ARGS)"; \
	$(BEHAVE_RUN) $(if $(TAGS),--tags='$(TAGS)') $(RUN_ARGS) || status=$$?; \
	python -m tools.quality_gate $(if $(TAGS),--tags='$(TAGS)') $(RUN_ARGS) || status=1; \
	python -m tools.behave_summary $(JUNIT) || status=1; \
	exit $$status

# The suite in parallel processes over one shared stack (tools/parallel.py starts it with
# `python -m harness.stack` and points every worker at it, as at a deployment: @fault and
# @embedded scenarios skip with their reason), one merged Allure result set, the gate, the
# summary, the report. TAGS as for `make behave` (default: not @wip). BASELINE=1 first times
# one plain behave process on the same stack and prints the speed-up. The workers would share
# behave's rerun file, so none is kept: `make rerun` follows behave, accept or test.
parallel: setup
	@rm -rf $(RESULTS) $(JUNIT) $(BEHAVEX_OUT) reports/quality-gate.json
	@mkdir -p $(RESULTS) $(JUNIT)
	@status=0; \
	tags='$(if $(TAGS),$(TAGS),not @wip)'; \
	python -m tools.parallel --workers $(WORKERS) --scheme $(SCHEME) --tags "$$tags" \
		--output $(BEHAVEX_OUT) $(if $(BASELINE),--baseline) $(BEHAVE_ARGS) || status=$$?; \
	cp $(BEHAVEX_OUT)/behave/*.xml $(JUNIT)/ 2>/dev/null || true; \
	rm -f $(RERUN_FILE); \
	python -m tools.quality_gate --tags="$$tags" $(BEHAVE_ARGS) || status=1; \
	python -m tools.behave_summary $(JUNIT) || status=1; \
	$(MAKE) report ALLURE_APPEND_HISTORY=1 || status=1; \
	exit $$status

# What CI runs on every push (.ci/run with CI_SCOPE=critical): the checks and the @critical
# scenarios; `make test` (CI_SCOPE=all, nightly) runs every scenario.
check: setup
	@status=0; \
	$(MAKE) lint || status=1; \
	$(MAKE) pytest || status=1; \
	$(MAKE) accept || status=1; \
	exit $$status

test: setup
	@status=0; \
	$(MAKE) lint || status=1; \
	$(MAKE) pytest || status=1; \
	$(MAKE) behave || status=1; \
	$(MAKE) report ALLURE_APPEND_HISTORY=1 || status=1; \
	exit $$status

# The step catalogue (docs/steps.md) and the Cucumber extension's settings (.vscode/), both
# from behave's own step registry and feature parser; `make lint` fails when either is stale.
steps: $(VENV_STAMP)
	python -m tools.step_catalogue

# Allure's `generate` plus the quality gate's verdicts in its Quality Gates tab
# (tools/allure_report.mjs); then the analytics Allure writes into every report are removed, so
# opening it reaches nothing outside the file (tools/offline_report.py).
report: $(VENV_STAMP) $(NODE_STAMP)
	@test -d $(RESULTS) || { echo "no $(RESULTS): run make accept or make test first" >&2; exit 1; }
	python -m tools.capabilities
	rm -rf $(REPORT)
	ALLURE_APPEND_HISTORY=$(ALLURE_APPEND_HISTORY) node tools/allure_report.mjs $(RESULTS) $(REPORT)
	python -m tools.offline_report $(REPORT)
	@echo "Allure report: $(abspath $(REPORT))/index.html"

# Only the scenarios that failed in the last run (behave's rerun file, which every run writes:
# behave.ini), added to that run's results: the report shows each as a retry, the gate judges
# the latest attempt and counts a scenario that failed then passed as flaky.
RERUN_FILE := reports/rerun.txt
rerun: $(VENV_STAMP)
	@locations=$$(grep -v '^#' $(RERUN_FILE) 2>/dev/null | tr '\n' ' ' || true); \
	if [ -z "$${locations// }" ]; then \
		echo "make rerun: no $(RERUN_FILE), so nothing failed in the last make behave, accept or test"; \
		exit 0; \
	fi; \
	status=0; \
	echo "python -m behave $(RUN_ARGS) $$locations"; \
	python -m behave $(RUN_ARGS) $$locations || status=$$?; \
	python -m tools.quality_gate $(RUN_ARGS) $$locations || status=1; \
	python -m tools.behave_summary $(JUNIT) || status=1; \
	$(MAKE) report ALLURE_APPEND_HISTORY=1 || status=1; \
	exit $$status

# Debian's packages beside the Python ones: Chromium (tests/tools/test_report_browser.py, the @ui
# scenarios), nginx (the topology behind a balancer), prometheus (promtool, make lint).
# Idempotent: nothing to do, not even `apt-get update`, when every program is there; installs
# the missing packages only as root (CI); otherwise one line says which and how, and what needs
# them skips with its reason (a @critical scenario's skip fails the quality gate unless
# ALLOW_SKIPS allows it). In a container Debian's policy-rc.d keeps their daemons stopped.
# tools/doctor.py (make doctor) knows the same packages; tests/tools/test_doctor.py keeps them equal.
system:
	@missing=(); \
	for entry in $(SYSTEM_PACKAGES); do \
		packages=$${entry#*=}; \
		if [ ! -x "$${entry%%=*}" ]; then missing+=($${packages//,/ }); fi; \
	done; \
	if [ $${#missing[@]} -eq 0 ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
		echo "== installing $${missing[*]} (Debian packages)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends "$${missing[@]}" >/dev/null; \
	else \
		echo "make system: not root, so $${missing[*]} not installed;" \
			"as root: apt-get install --no-install-recommends $${missing[*]}" >&2; \
	fi

# The name it had when it installed Chromium only.
browser: system

bench: $(VENV_STAMP)
	@shopt -s nullglob; scripts=(bench/*.py); \
	if [ $${#scripts[@]} -eq 0 ]; then echo "no benchmarks in bench/"; exit 0; fi; \
	for script in "$${scripts[@]}"; do echo "== $$script"; python "$$script" $(BENCH_ARGS); done

# make load: Locust headless, a master and WORKERS local workers (tools/load.py), against the
# embedded stack (INSTANCES service instances) or HOST (comma-separated URLs). DURATION is the
# whole run, ramp included. LOAD_ARGS go to load/locustfile.py (e.g. "--questions 3").
# REMOTE_WORKERS=N: the master also waits for N workers started on other machines, which
# connect to this machine's MASTER_PORT (`locust -f load/locustfile.py --worker ...`).
USERS ?= 100
SPAWN_RATE ?= 10
DURATION ?= 60s
INSTANCES ?= 1
HOST ?=
LOAD_ARGS ?=
REMOTE_WORKERS ?= 0
MASTER_PORT ?= 5557
LOAD_CMD = python -m tools.load --users $(USERS) --spawn-rate $(SPAWN_RATE) \
	--run-time $(DURATION) --workers $(WORKERS) --instances $(INSTANCES) \
	$(if $(HOST),--host $(HOST)) \
	$(if $(filter-out 0,$(REMOTE_WORKERS)),--remote-workers $(REMOTE_WORKERS) \
		--bind-host 0.0.0.0 --master-port $(MASTER_PORT))

load: $(VENV_STAMP)
	$(LOAD_CMD) -- $(LOAD_ARGS)

# The soak: 1,000 people keep their chat open for 5 minutes and each asks every 60 s (first
# questions spread over the first minute); the service's memory and open files are sampled.
soak: USERS = 1000
# Everyone is signed in within about a minute (20 a second), then holds the chat 5 minutes.
soak: SPAWN_RATE = 20
soak: DURATION = 6m
soak: $(VENV_STAMP)
	$(LOAD_CMD) --soak -- --questions 0 --think-time 60 --spread-questions $(LOAD_ARGS)

# Each seeded defect (tests/mutants/*.patch) applied to a scratch copy of the tree, its feature
# files run there; fails if a defect survives. MUTANTS=04 narrows, MUTANT_TAGS=@critical too.
MUTANTS ?=
MUTANT_TAGS ?=
mutants: $(VENV_STAMP)
	python -m tools.mutants $(MUTANTS) $(if $(MUTANT_TAGS),--tags='$(MUTANT_TAGS)')

clean:
	rm -rf reports build *.egg-info .mypy_cache .ruff_cache .pytest_cache .hypothesis .import_linter_cache
