#!/usr/bin/env bash
# Installs what the registry integration tests need: Debian's `docker-registry` (the CNCF
# distribution registry), `skopeo` to push test images into it, apache2-utils for
# `htpasswd -B` (the registry only accepts bcrypt htpasswd files) and openssl for the
# token-auth registry's signing certificate. Debian's packages are used because the
# machines reach Debian's archive but not upstream release downloads.
# The system service is never started: tests run their own registry on 127.0.0.1.
set -euo pipefail

missing=()
command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
command -v skopeo >/dev/null 2>&1 || missing+=(skopeo)
command -v htpasswd >/dev/null 2>&1 || missing+=(apache2-utils)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
if [ "${#missing[@]}" -eq 0 ]; then
  echo "registry test tools already installed: $(command -v docker-registry) $(command -v skopeo) $(command -v htpasswd) $(command -v openssl)"
  exit 0
fi

bash "$(dirname "$0")/apt-install.sh" "${missing[@]}"

for bin in docker-registry skopeo htpasswd openssl; do
  command -v "$bin" >/dev/null 2>&1 || { echo "$bin not found after install" >&2; exit 1; }
done
docker-registry --version 2>&1 | head -n 1
skopeo --version 2>&1 | head -n 1
