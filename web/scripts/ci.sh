#!/usr/bin/env bash
# Everything the web client's CI does, from a fresh machine:
# install, build (with the bundle-size report), unit tests, Chromium, end-to-end tests.
# Needs HEARTH_BINARY pointing at a built hearth (e.g. $CARGO_TARGET_DIR/debug/hearth).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -z "${HEARTH_BINARY:-}" ]]; then
  if [[ -n "${CARGO_TARGET_DIR:-}" && -x "$CARGO_TARGET_DIR/debug/hearth" ]]; then
    export HEARTH_BINARY="$CARGO_TARGET_DIR/debug/hearth"
  elif [[ -x ../target/debug/hearth ]]; then
    export HEARTH_BINARY="$PWD/../target/debug/hearth"
  else
    echo "ci.sh: set HEARTH_BINARY to a built hearth binary" >&2
    exit 2
  fi
fi
[[ -x "$HEARTH_BINARY" ]] || { echo "ci.sh: HEARTH_BINARY=$HEARTH_BINARY is not an executable" >&2; exit 2; }

echo "== npm ci"
npm ci --no-audit --no-fund

echo "== build"
npm run build

echo "== unit and component tests"
npx vitest run

CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [[ ! -x "$CHROMIUM_PATH" ]]; then
  echo "== installing chromium"
  SUDO=""
  [[ "$(id -u)" -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update
  # Fonts so screenshots show Chinese text and emoji instead of boxes.
  $SUDO apt-get install -y chromium fonts-noto-cjk fonts-noto-color-emoji
fi
export CHROMIUM_PATH

echo "== end-to-end tests (hearth: $HEARTH_BINARY)"
npm run e2e
