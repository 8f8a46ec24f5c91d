#!/usr/bin/env bash
# Installs Debian's chromium for the status page test (headless: --dump-dom and
# --screenshot, no driver needed). The machines reach Debian's archive, not Google's.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  echo "chromium already installed: $(chromium --version 2>/dev/null | head -n 1)"
  exit 0
fi
bash "$(dirname "$0")/apt-install.sh" chromium fonts-dejavu-core
command -v chromium >/dev/null 2>&1 || { echo "chromium not found after install" >&2; exit 1; }
chromium --version 2>/dev/null | head -n 1
