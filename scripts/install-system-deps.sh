#!/usr/bin/env bash
# System packages the project needs: WeasyPrint's Pango, fonts, Chromium for browser tests,
# poppler-utils for pdfsig (the signing tests' independent check of PAdES signatures).
# Idempotent: installs only what is missing. Needs root (as on the CI machines) or sudo.
set -euo pipefail
needed=()
for pkg in libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core chromium chromium-driver poppler-utils; do
  dpkg -s "$pkg" >/dev/null 2>&1 || needed+=("$pkg")
done
if [ ${#needed[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "installing system packages: ${needed[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${needed[@]}" >/dev/null
fi
