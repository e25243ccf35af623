#!/usr/bin/env bash
# Install npm dependencies only when needed (fresh clone, or the lockfile changed since the last install).
# Not `npm ci`: the registry here lacks darwin/win binaries, so lockfiles made here fail `npm ci`;
# `npm install` respects the lockfile and leaves it unchanged.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

stamp=node_modules/.package-lock.json   # npm's own record of what is installed
if [ -d node_modules ] && [ -f "$stamp" ] && ! [ package-lock.json -nt "$stamp" ]; then
  exit 0
fi
echo "ensure-deps: running npm install" >&2
npm install --no-audit --no-fund
# npm does not rewrite the stamp when nothing changed; touch it so the next run skips.
touch "$stamp"
