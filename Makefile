# Task runner; README.md uses `make run` and `make test`.
export PYTHONPATH := $(CURDIR):$(CURDIR)/platform
PY := .venv/bin/python

.PHONY: setup run test lint fmt bench

setup:
	@bash scripts/setup.sh

run: setup
	$(PY) -m messenger.devrun

test:
	@bash scripts/setup.sh --test
	$(PY) -m messenger.testrun $(ARGS)

lint:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

fmt:
	.venv/bin/ruff check --fix .
	.venv/bin/ruff format .

bench:
	$(PY) bench/signup.py --quick
