#!/usr/bin/env bash
# Installs everything zhidu needs into the checkout: .venv, npm assets, and (with --test)
# Debian's Chromium for the browser tests. Safe to run again; it only redoes what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

# --test: the test tools (and Locust, which a smoke test of the load test runs); --bench: Locust.
want_test=0
extras=""
for arg in "$@"; do
  case $arg in
    --test) want_test=1; extras="test,bench" ;;
    --bench) if [[ -z $extras ]]; then extras="bench"; fi ;;
  esac
done
PY=${PYTHON:-python3}

if [[ ! -x .venv/bin/python ]]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.zhidu-installed-${extras:-base}
if [[ ! -f $stamp || pyproject.toml -nt $stamp ]]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".${extras:+[$extras]}"
  touch "$stamp"
fi

if [[ -f package.json ]]; then
  if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
    npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
  fi
  node scripts/copy-assets.mjs
fi

# Browser tests drive Debian's Chromium; a CJK font makes Chinese pages legible in screenshots.
if [[ $want_test == 1 ]] && { [[ ! -x /usr/bin/chromium ]] || ! dpkg -s fonts-wqy-zenhei >/dev/null 2>&1; }; then
  SUDO=""
  [[ $(id -u) == 0 ]] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-wqy-zenhei >/dev/null
fi
