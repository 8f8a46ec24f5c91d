#!/usr/bin/env bash
# Installs the Prometheus server binary for the gate integration tests. Debian's package is
# used because the machines reach Debian's archive but not upstream release downloads. The
# system service is never started (see apt-install.sh): tests run their own instance on a
# random port.
set -euo pipefail

if command -v prometheus >/dev/null 2>&1; then
  echo "prometheus already installed: $(command -v prometheus)"
  exit 0
fi

bash "$(dirname "$0")/apt-install.sh" prometheus

command -v prometheus >/dev/null 2>&1 || { echo "prometheus binary not found after install" >&2; exit 1; }
prometheus --version 2>&1 | head -n 1
