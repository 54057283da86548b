#!/usr/bin/env bash
# Installs the external GTFS consumers that tests/consumers/ loads published feeds into:
#   - PostgreSQL 15 + PostGIS (Debian packages), only when missing;
#   - gtfs-via-postgres, gtfs (node-gtfs), gtfs-to-html (npm), pinned by the committed
#     tests/consumers/node/package-lock.json and installed with `npm ci` into .consumers/node/.
# Idempotent and quick on a second run: each step leaves a stamp file keyed on what it installed.
# Runs as root in CI (CI=true, no stdin); locally, a missing Debian package needs root once.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
SPEC="$ROOT/tests/consumers/node"
DEST="$ROOT/.consumers"
NODE_DIR="$DEST/node"
STAMPS="$DEST/stamps"
mkdir -p "$NODE_DIR" "$STAMPS"

log() { echo "consumers: $*"; }

# --- Debian packages: PostgreSQL 15 server + PostGIS, a C++ toolchain for better-sqlite3 ---------
APT_PACKAGES=(postgresql-15 postgresql-15-postgis-3 build-essential python3)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "consumers: missing Debian packages: ${missing[*]}; run this script as root once" >&2
    exit 1
  fi
  log "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  log "Debian packages present (PostgreSQL 15, PostGIS, toolchain)"
fi
test -x /usr/lib/postgresql/15/bin/initdb || { echo "consumers: initdb for PostgreSQL 15 not found" >&2; exit 1; }

# --- npm packages, reproducibly from the committed lock file ---------------------------------------
# Node 20 (the machine's, from NodeSource) is what the lock was resolved for: gtfs 4.18.2 and
# better-sqlite3 12 support it; newer gtfs / gtfs-to-html releases need Node 22.
command -v node >/dev/null && command -v npm >/dev/null \
  || { echo "consumers: node and npm (Node.js >= 20) are required" >&2; exit 1; }
major="$(node -p 'process.versions.node.split(".")[0]')"
((major >= 20)) || { echo "consumers: Node.js >= 20 required, found $(node --version)" >&2; exit 1; }
# better-sqlite3 compiles against the installed Node headers; node-gyp must not download them.
if [[ -f /usr/include/node/node.h ]]; then export npm_config_nodedir=/usr; fi
key="$(cat "$SPEC/package.json" "$SPEC/package-lock.json" | sha256sum | cut -c1-16)-node$(node --version)"
stamp="$STAMPS/npm-$key"
if [[ -f "$stamp" && -d "$NODE_DIR/node_modules" ]]; then
  log "npm packages up to date ($NODE_DIR)"
else
  log "npm ci in $NODE_DIR (better-sqlite3 compiles: about a minute)"
  rm -f "$STAMPS"/npm-*
  cp "$SPEC/package.json" "$SPEC/package-lock.json" "$NODE_DIR/"
  # gtfs-to-html pulls puppeteer, whose browser download cannot work offline; PDFs are not used.
  (cd "$NODE_DIR" && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
  touch "$stamp"
fi

for bin in gtfs-to-sql gtfs-import gtfs-to-html; do
  test -x "$NODE_DIR/node_modules/.bin/$bin" || { echo "consumers: $bin missing after install" >&2; exit 1; }
done
log "ready: $(cd "$NODE_DIR" && node -p "['gtfs-via-postgres','gtfs','gtfs-to-html'].map(n=>n+'@'+require('./node_modules/'+n+'/package.json').version).join(', ')")"
