#!/usr/bin/env bash
# api-router-service: a tiny stand-in service for the example pipeline. Prints a response for a request path.
set -euo pipefail
route() {
  case "${1:-/}" in
    /health) echo '{"service":"api-router-service","status":"ok"}' ;;
    /version) echo '{"service":"api-router-service","version":"1.0.0"}' ;;
    *) echo '{"error":"not found"}'; return 1 ;;
  esac
}
route "$@"
