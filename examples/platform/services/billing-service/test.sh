#!/usr/bin/env bash
# Tests for billing-service. `BREAK_SERVICE=billing-service` makes them fail, to show what a failing service looks like.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
pass=0
check() {
  local path=$1 want=$2 got
  got=$(bash "$here/service.sh" "$path" || true)
  if [[ "$got" == *"$want"* ]]; then pass=$((pass + 1)); echo "ok - $path"; else echo "not ok - $path: got $got"; exit 1; fi
}
check /health '"status":"ok"'
check /version '"version":"1.0.0"'
check /missing '"error":"not found"'
if [ "${BREAK_SERVICE:-}" = "billing-service" ]; then
  echo "not ok - simulated regression in billing-service (BREAK_SERVICE=billing-service)"
  exit 1
fi
echo "billing-service: $pass tests passed"
