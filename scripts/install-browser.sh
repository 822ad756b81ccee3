#!/usr/bin/env bash
# Install what the browser tests (tests/browser, marker `browser`) need: Debian's
# headless Chromium, its matching chromedriver (/usr/bin/chromedriver) and a CJK font
# so that Chinese labels render in the screenshots. Idempotent: installs only the
# packages that are missing, then prints the versions. Needs root (CI and the dev
# machines run as root). Debian's own packages only: no browser download of its own.
set -euo pipefail

packages=(chromium chromium-driver fonts-noto-cjk)
missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done

if ((${#missing[@]})); then
    echo "== installing ${missing[*]} from Debian"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

chromium --version
/usr/bin/chromedriver --version
