# Task runner; README.md uses `make run`, `make test` and `make check`.
export PYTHONPATH := $(CURDIR):$(CURDIR)/platform
PY := .venv/bin/python

.PHONY: setup run test check lint fmt bench

setup:
	@bash scripts/setup.sh

run: setup
	$(PY) -m messenger.devrun

test:
	@bash scripts/setup.sh --test
	$(PY) -m messenger.testrun $(ARGS)

# Every static check (docs/boundaries.md): style, import contracts and cycles, types,
# declared dependencies, the widget's TypeScript (types, import cycles). The settings are only read (mypy's Django
# plugin): DJANGO_DEBUG=1 needs no secrets.
check:
	@bash scripts/setup.sh
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/lint-imports
	$(PY) scripts/import_cycles.py
	DJANGO_DEBUG=1 DJANGO_SETTINGS_MODULE=messenger.settings .venv/bin/mypy
	.venv/bin/deptry .
	cd widget-cdn && npm run --silent typecheck && node scripts/import-cycles.mjs

lint:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

fmt:
	.venv/bin/ruff check --fix .
	.venv/bin/ruff format .

bench:
	$(PY) bench/signup.py --quick
