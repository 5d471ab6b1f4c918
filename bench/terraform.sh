#!/usr/bin/env bash
# Benchmark of `hoist check terraform` against checkov and trivy on the same corpus: 200
# generated files, about 2,300 resources (bench/terraform-corpus.py), one module. Wall time
# of each tool on the whole directory (hoist: median of 5 runs; checkov and trivy: of 3);
# prints a Markdown table with the ratios. The peers come from `cargo xtask setup`
# (checkov 3.3.30 in its own virtualenv, trivy 0.59.1); both run offline
# (BC_SKIP_MAPPING=TRUE; --skip-check-update with trivy's built-in checks).
#
# Usage: bench/terraform.sh [FILES]
set -euo pipefail
cd "$(dirname "$0")/.."
files=${1:-200}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --release --quiet -p hoist
cargo xtask setup > /dev/null
hoist="$PWD/target/release/hoist"
bin="${HOIST_DEV_CACHE:-$HOME/.cache/hoist-dev}/bin"
python3 bench/terraform-corpus.py "$work/corpus" "$files"
resources=$(grep -h -c '^resource' "$work/corpus"/*.tf | awk '{s += $1} END {print s}')

# Seconds for one run of the command, to the millisecond.
time_of() {
    local start end
    start=$(date +%s.%N)
    "$@" > "$work/out" 2> /dev/null || true
    end=$(date +%s.%N)
    printf '%.3f\n' "$(echo "$end - $start" | bc)"
}

median() {
    sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'
}

hoist_s=$(for _ in 1 2 3 4 5; do time_of "$hoist" check terraform "$work/corpus" --format json; done | median)
hoist_findings=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$work/out" 2> /dev/null || echo "?")

checkov_s=$(for _ in 1 2 3; do BC_SKIP_MAPPING=TRUE time_of "$bin/checkov" -d "$work/corpus" --framework terraform -o json --quiet --compact; done | median)
checkov_findings=$(python3 -c '
import json,sys
d = json.load(open(sys.argv[1]))
d = d[0] if isinstance(d, list) else d
print(len(d["results"]["failed_checks"]))' "$work/out" 2> /dev/null || echo "?")

trivy_s=$(for _ in 1 2 3; do time_of "$bin/trivy" config --quiet --skip-check-update --format json "$work/corpus"; done | median)
trivy_findings=$(python3 -c '
import json,sys
d = json.load(open(sys.argv[1]))
print(sum(len(r.get("Misconfigurations") or []) for r in d.get("Results", [])))' "$work/out" 2> /dev/null || echo "?")

ratio() { printf '%.0f' "$(echo "$1 / $2" | bc -l)"; }
echo "| tool | wall time (s) | findings | hoist is faster by |"
echo "|---|---|---|---|"
echo "| hoist check terraform | $hoist_s | $hoist_findings | — |"
echo "| checkov 3.3.30 | $checkov_s | $checkov_findings | $(ratio "$checkov_s" "$hoist_s")x |"
echo "| trivy 0.59.1 config | $trivy_s | $trivy_findings | $(ratio "$trivy_s" "$hoist_s")x |"
echo
echo "($files files, $resources resources; $(nproc) cores)"
