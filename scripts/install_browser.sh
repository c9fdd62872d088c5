#!/usr/bin/env bash
# Installs the browser the browser tests drive: Debian's own Chromium package, never a
# downloaded build (no `playwright install`). Idempotent: does nothing when
# /usr/bin/chromium is already there. Needs root (or sudo) only when it installs.
set -euo pipefail

CHROMIUM=/usr/bin/chromium
if [ -x "$CHROMIUM" ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install_browser.sh: no apt-get here; install Chromium so that $CHROMIUM exists" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q chromium
test -x "$CHROMIUM"
echo "install_browser.sh: $("$CHROMIUM" --version 2>/dev/null | head -n 1)"
