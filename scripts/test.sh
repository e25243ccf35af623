#!/usr/bin/env bash
# What `npm test` runs. Arguments are passed through to jest.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/ensure-deps.sh

# Use the caller's databases when given (CI services, docker); otherwise our local ones.
if [ -z "${DATABASE_URL:-}" ] && [ -z "${REDIS_URL:-}" ]; then
  bash scripts/services.sh start >&2
  eval "$(bash scripts/services.sh env)"
elif [ -z "${DATABASE_URL:-}" ] || [ -z "${REDIS_URL:-}" ]; then
  echo "test.sh: only one of DATABASE_URL / REDIS_URL is set; set both, or neither to use local services" >&2
fi

# A browser test drives Debian's chromium (via playwright-core). If it cannot be installed the run
# goes on and that test fails with a message naming CHROMIUM_UNAVAILABLE, instead of passing silently.
if [ ! -x /usr/bin/chromium ] && [ -z "${CHROMIUM_UNAVAILABLE:-}" ]; then
  installed=0
  if [ "$(id -u)" -eq 0 ]; then
    echo "test.sh: installing chromium (apt-get)" >&2
    export DEBIAN_FRONTEND=noninteractive
    if apt-get install -y -q -o DPkg::Lock::Timeout=120 chromium >/dev/null \
       || { apt-get update -q >/dev/null && apt-get install -y -q -o DPkg::Lock::Timeout=120 chromium >/dev/null; }; then
      installed=1
    fi
  fi
  if [ "$installed" -eq 0 ] || [ ! -x /usr/bin/chromium ]; then
    echo "test.sh: chromium unavailable, the browser test will fail" >&2
    export CHROMIUM_UNAVAILABLE=1
  fi
fi

# --forceExit: a leaked handle (redis, queue, server) must never hang the run.
exec npx jest --forceExit "$@"
