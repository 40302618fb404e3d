# GridOps: `make run` serves the demo district, `make test` runs the whole suite.
# Both work on a new Debian 12 machine as root and are idempotent (a second run is quick).
SHELL := /bin/bash
.DEFAULT_GOAL := run

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMPS := .make
HOST ?= 127.0.0.1
PORT ?= 8000

# A DATABASE_URL given by the caller is used as it is; otherwise a local database is created.
ifeq ($(origin DATABASE_URL),undefined)
LOCAL_DB := gridops
export DATABASE_URL := postgis://postgres@127.0.0.1:5432/$(LOCAL_DB)
endif
export REDIS_URL ?= redis://127.0.0.1:6379/0

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := postgresql-15 postgresql-15-postgis-3 postgresql-15-partman postgresql-15-pgrouting gdal-bin libgdal-dev libgeos-dev libproj-dev \
	binutils gettext python3-venv redis-server mosquitto chromium fonts-noto-cjk wrk

.PHONY: run test fuzz-long setup system services venv assets messages db migrate demo serve worker bench loadtest loadtest-capacity clean \
	cluster cluster-down test-cluster

run: setup demo serve

## Two pytest-xdist workers (one per core); each has its own test database (test_<name>_gwN) and
## Redis namespace. TEST_WORKERS=0 runs in one process. The browser tests follow, two at a time
## (each worker its own server, database and namespace): they mostly wait on Chromium, the server
## and their own timers (one holds a socket idle for 60 s), so two share the cores well;
## `worksteal` keeps the long ones from queueing behind each other. BROWSER_WORKERS=0: one process.
TEST_WORKERS ?= 2
BROWSER_WORKERS ?= 2
test: setup
	$(PY) -m pytest --create-db -q -n $(TEST_WORKERS) --dist loadgroup -m "not browser" $(PYTEST_ARGS)
	$(PY) -m pytest --create-db -q -n $(BROWSER_WORKERS) --dist worksteal -m browser $(PYTEST_ARGS)

## A long randomised run of the property tests and fuzzers (`make test` draws the same examples every
## time): fresh random examples, GRIDOPS_FUZZ_FACTOR (default 10) times as many per test, failures
## replayed first from .hypothesis/. Fix what it finds and pin the input with @example(...).
## Every property test (Hypothesis marks them `hypothesis`), so the long run needs no list kept up to date.
FUZZ_TESTS ?= -m hypothesis tests
fuzz-long: setup
	GRIDOPS_HYPOTHESIS_PROFILE=long $(PY) -m pytest --create-db -q $(FUZZ_TESTS) $(PYTEST_ARGS)

setup: system services venv assets messages db migrate

## System packages: installed only when one is missing (apt-get update first, as the machine needs).
system:
	@command -v npm >/dev/null || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq nodejs npm >/dev/null; }
	@if ! dpkg -s $(APT_PACKAGES) >/dev/null 2>&1; then \
		echo "Installing system packages: $(APT_PACKAGES)"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $(APT_PACKAGES) >/dev/null; \
	fi

## PostgreSQL and Redis: started when they do not answer.
services:
	@if [ -n "$(LOCAL_DB)" ] && ! pg_isready -q -h 127.0.0.1 -p 5432; then \
		$(SUDO) pg_ctlcluster --skip-systemctl-redirect 15 main start; \
		for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; \
	fi
	@if ! redis-cli -u "$(REDIS_URL)" ping >/dev/null 2>&1; then \
		redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no --logfile /tmp/gridops-redis.log; \
		for i in $$(seq 1 30); do redis-cli -u "$(REDIS_URL)" ping >/dev/null 2>&1 && break; sleep 0.5; done; \
	fi
	@if ! timeout 1 bash -c '</dev/tcp/127.0.0.1/1883' 2>/dev/null; then \
		mosquitto -d -p 1883; \
		for i in $$(seq 1 20); do timeout 1 bash -c '</dev/tcp/127.0.0.1/1883' 2>/dev/null && break; sleep 0.5; done; \
	fi

venv: $(STAMPS)/venv
$(STAMPS)/venv: pyproject.toml
	@mkdir -p $(STAMPS)
	[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]'
	@touch $@

## Front-end packages from the npm registry (pinned in frontend/package-lock.json), copied into static/.
assets: $(STAMPS)/assets
$(STAMPS)/assets: frontend/package.json frontend/package-lock.json
	@mkdir -p $(STAMPS)
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	$(PY) frontend/vendor_assets.py
	@touch $@

db:
	@if [ -n "$(LOCAL_DB)" ]; then \
		psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$(LOCAL_DB)'" | grep -q 1 || \
		createdb -h 127.0.0.1 -U postgres $(LOCAL_DB); \
	fi

messages:
	$(PY) manage.py compilemessages -v 0 --ignore=.venv --ignore=node_modules

migrate:
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py collectstatic --noinput -v 0

## The demo district: zones, catalogues, accounts and a modest history (skips what is loaded).
demo:
	$(PY) manage.py load_demo

serve:
	@echo "GridOps is serving at http://$(HOST):$(PORT)"
	@trap 'kill 0' EXIT INT TERM; \
	$(PY) manage.py run_workers & \
	$(PY) manage.py run_sensor_bridge & \
	$(PY) manage.py simulate_sensors --devices 300 --interval 60 --seconds 0 --breach-share 0.002 & \
	$(PY) manage.py serve --host $(HOST) --port $(PORT)

bench: setup
	$(PY) -m bench $(BENCH)

loadtest: setup
	$(PY) -m bench.loadtest

## Capacity: the load-test mix at 1x..4x (LOAD_CAPACITY), LOAD_SECONDS each (default 120).
loadtest-capacity: setup
	LOAD_SECONDS=$${LOAD_SECONDS:-120} $(PY) -m bench.loadtest --capacity $${LOAD_CAPACITY:-1,2,3,4}

## The multi-node cluster (docs/cluster.md): etcd, two PostgreSQL 15 under Patroni (primary and
## synchronous standby), Redis and two uvicorn nodes, each host in its own network namespace,
## behind HAProxy on 127.0.0.1:28000 (HTTP), 25000 (PG writes), 25001 (PG reads). Needs root.
## CLUSTER_REV=HEAD serves the last commit instead of the working tree.
cluster: venv assets messages
	GRIDOPS_CLUSTER_REV=$(CLUSTER_REV) deploy/cluster/cluster.sh up

cluster-down:
	deploy/cluster/cluster.sh down

## The fault tests of the cluster (tests/cluster/): a fresh cluster up, the tests, the cluster down
## whatever they did; figures in bench/results/cluster.json.
test-cluster: venv assets messages
	deploy/cluster/cluster.sh down
	@GRIDOPS_CLUSTER_REV=$(CLUSTER_REV) deploy/cluster/cluster.sh up && \
		GRIDOPS_CLUSTER=1 $(PY) -m pytest -q -p no:randomly tests/cluster $(PYTEST_ARGS); \
		status=$$?; deploy/cluster/cluster.sh down; exit $$status

clean:
	rm -rf $(STAMPS) $(VENV)
