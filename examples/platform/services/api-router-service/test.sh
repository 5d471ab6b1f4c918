#!/usr/bin/env bash
# Tests for api-router-service. `BREAK_SERVICE=api-router-service` makes them fail, to show what a failing service looks like.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
pass=0
cases=()
# Under Hoist, results also go to $HOIST_TEST_RESULTS as JUnit XML: they show in `hoist metrics`.
report() {
  [ -n "${HOIST_TEST_RESULTS:-}" ] || return 0
  printf '<testsuite name="%s">%s</testsuite>\n' "api-router-service" "${cases[*]}" > "$HOIST_TEST_RESULTS/api-router-service.xml"
}
trap report EXIT
check() {
  local path=$1 want=$2 got
  got=$(bash "$here/service.sh" "$path" || true)
  if [[ "$got" == *"$want"* ]]; then
    pass=$((pass + 1)); cases+=("<testcase name=\"$path\"/>"); echo "ok - $path"
  else
    cases+=("<testcase name=\"$path\"><failure>unexpected response</failure></testcase>"); echo "not ok - $path: got $got"; exit 1
  fi
}
check /health '"status":"ok"'
check /version '"version":"1.0.0"'
check /missing '"error":"not found"'
if [ "${BREAK_SERVICE:-}" = "api-router-service" ]; then
  cases+=("<testcase name=\"regression\"><failure>simulated</failure></testcase>")
  echo "not ok - simulated regression in api-router-service (BREAK_SERVICE=api-router-service)"
  exit 1
fi
echo "api-router-service: $pass tests passed"
