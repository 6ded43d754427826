#!/usr/bin/env bash
# One entry point for a fresh machine (Debian, Python 3.11, root) and for CI:
#   bash scripts/dev.sh examples   set everything up, render examples/*.json into out/
#   bash scripts/dev.sh test       set everything up, run ruff, mypy, the docs build and the tests
#   bash scripts/dev.sh setup      only set up (system packages and .venv)
set -euo pipefail
cd "$(dirname "$0")/.."

# WeasyPrint's libraries (libharfbuzz-subset0: without it PDF writing is ~2x slower),
# the PDF tools the tests check output with, and Chromium for the second engine.
SYSTEM_PACKAGES=(libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 fontconfig
                 qpdf poppler-utils mupdf-tools chromium)
PYTHON=${PYTHON:-python3}

setup() {
  local missing=()
  for package in "${SYSTEM_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" \
      || missing+=("$package")
  done
  # Debian's own python3 needs python3-venv for "python3 -m venv"; others have it.
  "$PYTHON" -c "import ensurepip" 2>/dev/null || missing+=(python3-venv)
  if ((${#missing[@]})); then
    echo "installing system packages: ${missing[*]}"
    local sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
  [ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
  # constraints.txt pins every Python package: the visual baselines in gallery/ hold
  # only while WeasyPrint, PDFium and their helpers are the versions they were made with.
  .venv/bin/python -m pip install -q -e '.[dev]' -c constraints.txt
}

examples() {
  mkdir -p out
  for source in examples/*.json; do
    .venv/bin/alseco-bill render "$source" -o "out/$(basename "$source" .json).pdf" --png
  done
}

run_tests() {
  .venv/bin/ruff check src tests bench
  .venv/bin/ruff format --check src tests bench
  .venv/bin/mypy
  # The reference site: a broken link or a page left out of the nav fails here.
  NO_MKDOCS_2_WARNING=1 .venv/bin/mkdocs build --strict --quiet
  # The visual check first, so that pytest's summary is the run's closing line.
  .venv/bin/alseco-bill snapshot check
  .venv/bin/alseco-bill snapshot check --engine chromium
  .venv/bin/pytest --cov=alseco_bill --cov-report=term:skip-covered "$@"
}

command=${1:-test}; shift || true
case "$command" in
  setup) setup ;;
  examples) setup; examples ;;
  test) setup; run_tests "$@" ;;
  *) echo "usage: bash scripts/dev.sh [setup|examples|test]" >&2; exit 2 ;;
esac
