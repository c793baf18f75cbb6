# Two entry points for a fresh Debian machine: `make demo` and `make test`.
# Both install what they need: a venv always, Debian packages when run as root.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO_STAMP := $(VENV)/.demo-installed
CACHE := .cache

.PHONY: demo test test-fast test-e2e bench deps venv oracle clean lint

venv: $(STAMP)
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

# Debian packages the tests use (one per line in tools/debian-packages.txt); only as root.
deps:
	@tools/install-debian-packages.sh tools/debian-packages.txt

# Debian's ignition 2.14 unpacked into .cache/ignition: the test oracle.
oracle: deps
	@tools/get-oracle.sh $(CACHE)/ignition

# The demo needs ignite and its run-time dependencies only, not the test extras.
demo: $(DEMO_STAMP)
	@$(PY) tools/demo.py
$(DEMO_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

test: deps oracle venv lint
	$(PY) -m pytest -q

# Types (mypy over ignite/) and lint (ruff over the tree), as configured in pyproject.toml.
lint: venv
	$(PY) -m mypy
	$(PY) -m ruff check ignite tests bench tools

test-fast: venv
	$(PY) -m pytest -q -m 'not e2e and not slow'

test-e2e: deps oracle venv
	$(PY) -m pytest -q -m e2e

bench: deps oracle venv
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) $(CACHE) build *.egg-info

# Install ignite the ordinary way (see docs/install.md): the Python package for the target's
# Python, the `ignite` command, the dracut module (then `dracut -a ignite`), the man pages.
PREFIX ?= /usr/local
DESTDIR ?=
TARGET_PYTHON ?= /usr/bin/python3
INSTALL_ENV = DESTDIR="$(DESTDIR)" PREFIX="$(PREFIX)" TARGET_PYTHON="$(TARGET_PYTHON)" \
	DRACUTMODDIR="$(DRACUTMODDIR)" MANDIR="$(MANDIR)"
.PHONY: install install-python install-dracut install-man deb
install:
	@$(INSTALL_ENV) tools/install/install.sh python dracut man
install-python:
	@$(INSTALL_ENV) tools/install/install.sh python
install-dracut:
	@$(INSTALL_ENV) tools/install/install.sh dracut
install-man:
	@$(INSTALL_ENV) tools/install/install.sh man

# dist/ignite_VERSION_all.deb, built with debhelper and pybuild from a copy of this tree.
deb:
	@tools/packaging/build-deb.sh dist
