#!/usr/bin/env bash
# Installs the external consumers the consumer tests load feeds into. Idempotent; filled in by issue 6.
set -euo pipefail
echo "consumers: nothing to install yet"
