# opsforge.infra — developer and CI entry points. `make test` and `make demo` work on a
# fresh Debian 12 machine: they install what they need (apt + .venv) and start the lab.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV ?= .venv
PY := $(CURDIR)/$(VENV)/bin/python
BIN := $(CURDIR)/$(VENV)/bin
COLLECTIONS := $(CURDIR)/.build/collections
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PATH := $(BIN):$(PATH)

# Pillars add their own targets, and what `make test` needs built first (TEST_PREREQS).
TEST_PREREQS :=
-include mk/*.mk

# The wheels of the runtime set at the development venv's versions, so that the test which installs the
# built collection into a fresh venv (tests/quality/test_installed_collection.py) installs offline.
WHEELHOUSE := $(CURDIR)/.cache/wheelhouse
TEST_PREREQS += wheelhouse
.PHONY: wheelhouse
wheelhouse: $(WHEELHOUSE)/.filled
$(WHEELHOUSE)/.filled: requirements.txt $(VENV)/.installed
	@mkdir -p $(WHEELHOUSE)
	$(PY) -m pip freeze --exclude-editable | grep -v ' @ ' > $(WHEELHOUSE)/constraints.txt
	$(PY) -m pip wheel -q --disable-pip-version-check -w $(WHEELHOUSE) -r requirements.txt -c $(WHEELHOUSE)/constraints.txt
	@touch $@

.PHONY: help deps system-deps venv tree lab-up lab-down test unit integration quality lint sanity demo build changelog clean

help:
	@echo "make demo      set up everything and publish the demo app through the lab"
	@echo "make test      set up everything and run the whole suite (lint, sanity, unit, integration)"
	@echo "make lab-up    start the lab (Docker, systemd hosts, registry, Pebble) on 127.0.0.1"
	@echo "make lab-down  stop what the lab started"
	@echo "make unit | integration | quality   parts of the suite"
	@echo "make build     ansible-galaxy collection build"

deps: system-deps venv tree

system-deps:
	@bash lab/install-deps.sh

venv: $(VENV)/.installed

# Runtime (requirements.txt) and test tools (requirements-test.txt, which includes the first).
$(VENV)/.installed: requirements.txt requirements-test.txt
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-test.txt
	@touch $@

tree:
	@mkdir -p $(COLLECTIONS)/ansible_collections/opsforge
	@test -L $(COLLECTIONS)/ansible_collections/opsforge/infra || ln -s ../../../.. $(COLLECTIONS)/ansible_collections/opsforge/infra

lab-up: system-deps venv tree
	@bash lab/up.sh

lab-down:
	@bash lab/down.sh

# The whole suite in one pytest run, so it ends with pytest's summary line (the 30 slowest tests are
# listed just above it). Two pytest-xdist workers: tests/conftest.py puts every test that uses the lab
# in the group "lab" (one worker, today's order) and the rest in "local" (the other worker, at a lower
# CPU priority so that the lab tests keep their speed); see docs/developing.md.
TEST_WORKERS ?= 2
test: deps lab-up $(TEST_PREREQS)
	$(PY) -m pytest tests -p no:cacheprovider -ra --timeout=1800 -n $(TEST_WORKERS) --dist loadgroup --durations=30 $(PYTEST_ARGS)

unit: deps
	$(PY) -m pytest tests/unit -p no:cacheprovider -q $(PYTEST_ARGS)

integration: deps lab-up
	$(PY) -m pytest tests/integration -p no:cacheprovider -ra $(PYTEST_ARGS)

quality: deps
	$(PY) -m pytest tests/quality -p no:cacheprovider -ra $(PYTEST_ARGS)

demo: deps lab-up
	$(BIN)/ansible-playbook -i lab/inventory.yml playbooks/demo.yml

build: deps
	rm -f opsforge-infra-*.tar.gz
	$(BIN)/ansible-galaxy collection build --force .

changelog: venv
	$(BIN)/antsibull-changelog release

clean: lab-down
	rm -rf .build .pytest_cache opsforge-infra-*.tar.gz

