#!/usr/bin/env bash
# The test command of README.md (and of .ci/run): a fresh virtual environment, trtlint with its ONNX layer
# and test tools, the real-world model sources the false-positive tests read, torch for the ONNX export
# tests, then pytest. Re-running reuses the environment.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${TRTLINT_TEST_VENV:-.venv-test}"
PY="${PYTHON:-python3}"
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip -q --disable-pip-version-check)
"${PIP[@]}" install -c scripts/test-constraints.txt -e '.[dev,onnx,notebook,server]'
# atheris for the bounded fuzz runs (tests/test_hostile_fuzz.py); without a wheel for this platform those
# tests skip and say why, the rest of the suite runs
"${PIP[@]}" install -c scripts/test-constraints.txt -e '.[fuzz]' \
  || echo "scripts/test.sh: atheris could not be installed; the fuzz tests will be skipped" >&2
# torch + torchvision for exporting real models to ONNX (CPU is enough); timm's sources for the
# false-positive test (read, never imported by trtlint). Skip with TRTLINT_TEST_LIGHT=1.
if [ "${TRTLINT_TEST_LIGHT:-0}" != "1" ]; then
  "${PIP[@]}" install "torch==2.14.1" "torchvision==0.29.1"
  "${PIP[@]}" install --no-deps "timm==1.0.31"
  "${PIP[@]}" install -c scripts/test-constraints.txt "onnxscript==0.7.2"
fi
export TRTLINT_REQUIRE_REAL_WORLD="${TRTLINT_REQUIRE_REAL_WORLD:-$([ "${TRTLINT_TEST_LIGHT:-0}" = 1 ] && echo 0 || echo 1)}"
exec "$VENV/bin/python" -m pytest "$@"
