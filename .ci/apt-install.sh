#!/usr/bin/env bash
# Installs Debian packages without starting their services: policy-rc.d exit 101 keeps
# dpkg's postinst from starting a unit where an init system is present (the tests run their
# own instances on 127.0.0.1); the previous policy file, if any, is restored afterwards.
#   bash .ci/apt-install.sh PACKAGE…
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

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
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@"
