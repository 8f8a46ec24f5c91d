#!/usr/bin/env bash
# Installs the Prometheus server binary for the gate integration tests. Debian's package is
# used because the machines reach Debian's archive but not upstream release downloads. The
# system service is never started: tests run their own instance on a random port.
set -euo pipefail

if command -v prometheus >/dev/null 2>&1; then
  echo "prometheus already installed: $(command -v prometheus)"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# policy-rc.d exit 101 keeps dpkg's postinst from starting prometheus.service where an init
# system is present; the previous file (if any) is restored afterwards.
POLICY=/usr/sbin/policy-rc.d
BACKUP=""
if [ -e "$POLICY" ]; then BACKUP="$(mktemp)"; $SUDO cp -p "$POLICY" "$BACKUP"; fi
restore_policy() {
  if [ -n "$BACKUP" ]; then $SUDO mv "$BACKUP" "$POLICY"; else $SUDO rm -f "$POLICY"; fi
}
trap restore_policy EXIT
printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$POLICY" >/dev/null
$SUDO chmod +x "$POLICY"

$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends prometheus

command -v prometheus >/dev/null 2>&1 || { echo "prometheus binary not found after install" >&2; exit 1; }
prometheus --version 2>&1 | head -n 1
