#!/usr/bin/env bash
# Debian packages the full test suite needs beyond Python: a PostgreSQL server (the tests start their own cluster on a
# loopback port), Chromium with its driver for the browser test of the review app, and a CJK font so Chinese renders
# in screenshots. The auditor itself needs none of them. Safe to run again.
set -euo pipefail
packages=(postgresql chromium chromium-driver fonts-wqy-microhei)
missing=()
for package in "${packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
