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

# --- Debian packages: PostgreSQL 15 server + PostGIS, a C++ toolchain for better-sqlite3, Node ----
APT_PACKAGES=(postgresql-15 postgresql-15-postgis-3 build-essential python3 nodejs npm)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# nodejs/npm may come from elsewhere (e.g. NodeSource): a working binary is enough.
if command -v node >/dev/null && command -v npm >/dev/null; then
  filtered=()
  for p in "${missing[@]+"${missing[@]}"}"; do
    [[ "$p" == nodejs || "$p" == npm ]] || filtered+=("$p")
  done
  missing=("${filtered[@]+"${filtered[@]}"}")
fi
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
