# Aliyun camera backend: function packages and the checkov scanner (included by the Makefile).
#
#   make fc-package     one reproducible zip per function in .build/fc/ (with its dependencies)
#   make checkov-venv   checkov in its own venv (.venv-checkov): it pins many libraries of its own
#   make checkov        scan terraform/camera

CHECKOV_VENV ?= .venv-checkov
CHECKOV := $(CURDIR)/$(CHECKOV_VENV)/bin/checkov
FC_DIST ?= $(CURDIR)/.build/fc
# An interpreter of the FC runtime's version (python3.10, on PATH or from pyenv) ships .pyc in the packages:
# a faster cold start (benchmarks/fc_cold_start.py). Without one the packages carry sources only.
FC_COMPILE_PYTHON ?= $(shell for p in python3.10 $(wildcard $(HOME)/.pyenv/versions/3.10*/bin/python3.10); do \
	$$p -c 'import sys; print(sys.executable)' 2>/dev/null && break; done 2>/dev/null)

TEST_PREREQS += checkov-venv fc-package

.PHONY: fc-package checkov-venv checkov

fc-package: venv
	$(PY) fc_functions/build_packages.py --out $(FC_DIST) $(if $(FC_COMPILE_PYTHON),--compile-with $(FC_COMPILE_PYTHON))

checkov-venv: $(CHECKOV_VENV)/.installed

$(CHECKOV_VENV)/.installed: requirements-checkov.txt
	@test -x $(CHECKOV_VENV)/bin/python || python3 -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install -q --disable-pip-version-check -r requirements-checkov.txt
	@touch $@

checkov: checkov-venv
	$(CHECKOV) -d terraform/camera --framework terraform --compact --quiet
