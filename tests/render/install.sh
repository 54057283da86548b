#!/usr/bin/env bash
# Installs what the rendered-site tests need from Debian: chromium (at /usr/bin/chromium) and a
# CJK font (fonts-wqy-zenhei: Chinese and Korean names in the screenshots, not empty boxes).
# Playwright (Python, from the `test` extra) drives the browser through executable_path; its own
# browser download cannot work offline, so it is never used.
# Idempotent: a fast no-op when both are there. apt-get needs root (sudo otherwise).
set -euo pipefail

CHROMIUM="${GTFS_BUILDER_CHROMIUM:-/usr/bin/chromium}"
missing=()
[[ -x "$CHROMIUM" ]] || missing+=(chromium)
dpkg-query -W -f='${Status}' fonts-wqy-zenhei 2>/dev/null | grep -q "install ok installed" \
  || missing+=(fonts-wqy-zenhei)
if ((${#missing[@]} == 0)); then
  echo "browser: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM") present"
  exit 0
fi
SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "browser: missing ${missing[*]}; run as root once" >&2; exit 1; }
  SUDO=(sudo)
fi
echo "browser: apt-get install ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
test -x "$CHROMIUM" || { echo "browser: $CHROMIUM still missing after apt-get" >&2; exit 1; }
echo "browser: $("$CHROMIUM" --version 2>/dev/null) ready"
