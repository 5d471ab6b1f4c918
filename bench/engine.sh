#!/usr/bin/env bash
# Benchmark of the run engine's overhead, with wrkflw on the same workflows in the same run.
#
#  (a) one job with 500 `run: true` steps, against a shell loop that starts the same 500
#      shells the same way (`bash -e script`, Hoist's default shell);
#  (b) a 256-job matrix (16 x 16) with 2 `run: true` steps each.
#
# Hoist runs with its full bookkeeping: SQLite history with logs, a workspace and RUNNER_TEMP
# per job, command files per step. Its work directories persist between runs, like a
# self-hosted runner's; the first run of (b), which creates them, is reported separately.
# wrkflw (`cargo install wrkflw --locked`) runs with `--runtime emulation` (no containers).
#
#  (c) the cost of metrics: (a) and (b) with the end-of-run upload of logs and the metrics
#      document (to the default file storage, and to s3s-fs on loopback when installed)
#      against the same runs with `[metrics] upload = false`, and against a Hoist built
#      before metrics existed when HOIST_BASELINE names its binary (for example
#      `git worktree add /tmp/base a285d3e && cargo build --release` there).
#
# Usage: bench/engine.sh [RUNS]     (needs hyperfine; prints Markdown tables)
set -euo pipefail
runs=${1:-15}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --release -q -p hoist --manifest-path "$root/Cargo.toml"
hoist="$root/target/release/hoist"
export CI=true HOIST_DATA_DIR="$work/data"

repo="$work/repo"
mkdir -p "$repo/.github/workflows"
{
  echo "name: steps500"; echo "on: push"; echo "jobs:"; echo "  one:"; echo "    runs-on: ubuntu-latest"; echo "    steps:"
  for _ in $(seq 500); do echo "      - run: 'true'"; done
} > "$repo/.github/workflows/steps500.yml"
values=$(seq -s, 0 15)
cat > "$repo/.github/workflows/matrix256.yml" <<YAML
name: matrix256
on: push
jobs:
  m:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        a: [$values]
        b: [$values]
    steps:
      - run: 'true'
      - run: 'true'
YAML
git -C "$repo" init -q -b main
git -C "$repo" add -A
git -C "$repo" -c user.name=bench -c user.email=bench@example.com commit -q -m bench
echo true > "$work/script.sh"
cat > "$work/loop500.sh" <<LOOP
for i in \$(seq 500); do bash -e "$work/script.sh"; done
LOOP

cd "$repo"
have_wrkflw=$(command -v wrkflw >/dev/null && echo yes || echo no)
/usr/bin/time -f "%e %M" -o "$work/first" "$hoist" run -q -w matrix256.yml >/dev/null 2>&1
first=$(cat "$work/first")

echo "(a) 500 steps in one job"
cmds=(-n "hoist run" "$hoist run -q -w steps500.yml" -n "bare loop of 500 shells" "bash $work/loop500.sh")
[ "$have_wrkflw" = yes ] && cmds+=(-n "wrkflw (emulation)" "wrkflw run --runtime emulation .github/workflows/steps500.yml")
hyperfine --warmup 2 --runs "$runs" --export-markdown "$work/a.md" --export-json "$work/a.json" "${cmds[@]}" >/dev/null
cat "$work/a.md"
python3 - "$work/a.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
h, b = r["hoist run"]["median"], r["bare loop of 500 shells"]["median"]
print(f"\nmedians: hoist {h:.3f} s, bare loop {b:.3f} s: hoist/bare = {h / b:.2f}")
if "wrkflw (emulation)" in r:
    w = r["wrkflw (emulation)"]["median"]
    print(f"wrkflw {w:.3f} s: wrkflw/bare = {w / b:.2f}, wrkflw/hoist = {w / h:.2f}")
PY

echo
echo "(b) 256-job matrix, 2 steps each (first run, creating the work directories: ${first% *} s, ${first#* } KiB)"
cmds=(-n "hoist run" "$hoist run -q -w matrix256.yml")
[ "$have_wrkflw" = yes ] && cmds+=(-n "wrkflw (emulation)" "wrkflw run --runtime emulation .github/workflows/matrix256.yml")
hyperfine --warmup 1 --runs "$runs" --export-markdown "$work/b.md" "${cmds[@]}" >/dev/null
cat "$work/b.md"

echo
echo "peak memory (KiB)"
for w in steps500 matrix256; do
  /usr/bin/time -f %M -o "$work/mem" "$hoist" run -q -w $w.yml >/dev/null 2>&1
  printf '%s: hoist %s' "$w" "$(cat "$work/mem")"
  if [ "$have_wrkflw" = yes ]; then
    /usr/bin/time -f %M -o "$work/mem" wrkflw run --runtime emulation .github/workflows/$w.yml >/dev/null 2>&1
    printf ', wrkflw %s' "$(cat "$work/mem")"
  fi
  echo
done

echo
echo "(c) metrics: recording and uploading at the end of each run"
printf '[metrics]\nupload = false\n' > "$work/no-upload.toml"
s3_cmd=()
if command -v s3s-fs >/dev/null; then
  mkdir -p "$work/s3/bench"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  s3s-fs --host 127.0.0.1 --port "$port" --access-key bench --secret-key bench-secret "$work/s3" >/dev/null 2>&1 &
  s3pid=$!
  trap 'kill $s3pid 2>/dev/null; rm -rf "$work"' EXIT
  printf '[storage]\nurl = "s3://bench/ci"\nendpoint = "http://127.0.0.1:%s"\naccess-key-id = "bench"\nsecret-access-key = "bench-secret"\n' "$port" > "$work/s3.toml"
fi
# Sequential blocks (hyperfine's way) drift on this machine by more than the effect being
# measured, so the variants run interleaved, round by round, and each round's time is
# compared with the same round's baseline (paired differences).
for w in steps500 matrix256; do
  variants=("upload off|env HOIST_DATA_DIR=$work/data-off $hoist run -q -w $w.yml --config $work/no-upload.toml"
            "upload to file storage|env HOIST_DATA_DIR=$work/data-file $hoist run -q -w $w.yml")
  [ -f "$work/s3.toml" ] && variants+=("upload to s3s-fs|env HOIST_DATA_DIR=$work/data-s3 $hoist run -q -w $w.yml --config $work/s3.toml")
  # Its own data directory: the current schema is newer than it understands.
  [ -n "${HOIST_BASELINE:-}" ] && variants+=("before metrics|env HOIST_DATA_DIR=$work/data-baseline $HOIST_BASELINE run -q -w $w.yml")
  echo
  echo "$w ($runs interleaved rounds after 2 warm-up rounds):"
  python3 - "$runs" "${variants[@]}" <<'PY'
import shlex, statistics, subprocess, sys, time
runs, variants = int(sys.argv[1]), [v.split("|", 1) for v in sys.argv[2:]]
times = {name: [] for name, _ in variants}
for round_ in range(runs + 2):
    for name, cmd in variants:
        t = time.perf_counter()
        subprocess.run(shlex.split(cmd), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        if round_ >= 2:
            times[name].append(time.perf_counter() - t)
base = "before metrics" if "before metrics" in times else "upload off"
print(f"| variant | median [ms] | min [ms] | median paired difference vs {base} |")
print("|:---|---:|---:|---:|")
for name, ts in times.items():
    diffs = [(a - b) / b * 100 for a, b in zip(ts, times[base])]
    d = "" if name == base else f"{statistics.median(diffs):+.2f}%"
    print(f"| {name} | {statistics.median(ts) * 1000:.1f} | {min(ts) * 1000:.1f} | {d} |")
PY
  # The upload's own duration, as Hoist measures it (`-v`), against the run's median.
  : > "$work/upload-ms"
  : > "$work/run-ms"
  for _ in $(seq "$runs"); do
    start=$(date +%s%N)
    HOIST_DATA_DIR="$work/data-file" "$hoist" run -v -w $w.yml 2>&1 >/dev/null \
      | sed -n 's/.*uploaded run .* in \([0-9.]*\) ms$/\1/p' >> "$work/upload-ms"
    echo $(( ($(date +%s%N) - start) / 1000000 )) >> "$work/run-ms"
  done
  python3 - "$work/upload-ms" "$work/run-ms" <<'PY'
import statistics, sys
ms = [float(x) for x in open(sys.argv[1]).read().split()]
run = statistics.median(float(x) for x in open(sys.argv[2]).read().split())
up = statistics.median(ms)
print(f"end-of-run upload to file storage, timed by `hoist run -v`: median {up:.1f} ms over {len(ms)} runs"
      f" (min {min(ms):.1f}, max {max(ms):.1f}) = {100 * up / run:.2f}% of the median run, {run:.0f} ms")
PY
done
