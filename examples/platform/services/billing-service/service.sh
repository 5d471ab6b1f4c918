#!/usr/bin/env bash
# billing-service: a tiny stand-in service for the example pipeline. Prints a response for a request path.
set -euo pipefail
route() {
  case "${1:-/}" in
    /health) echo '{"service":"billing-service","status":"ok"}' ;;
    /version) echo '{"service":"billing-service","version":"1.0.0"}' ;;
    *) echo '{"error":"not found"}'; return 1 ;;
  esac
}
route "$@"
