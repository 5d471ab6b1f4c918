#!/usr/bin/env bash
# Benchmark of the CI server: 1,000 dispatches of a one-step workflow from a second process
# (a small Python load generator: four processes, one keep-alive connection each), with
# `hoist serve --runners 0` and two `hoist runner` processes (capacity 2 each) on this machine.
#
# Measures: dispatch accept latency (client-side, p50/p99), dispatch-to-first-step latency
# (run created → its step started, from the server's database, p50/p99), runs completed per
# second, the server's RSS idle and its peak under load, and that every run ran its job
# exactly once (no run lost, no job claimed twice).
#
# Usage: bench/server.sh [DISPATCHES]   (needs python3; prints a Markdown table)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000}

. bench/server-setup.sh
repo="$work/repo"
one_step_repo "$repo" workflow_dispatch
start_server --runners 0 --repo "$repo"
token=$(cat "$work/server/admin-token")
sleep 1
idle_kb=$(awk '/VmRSS/ {print $2}' "/proc/$server/status")
for r in 1 2; do
    "$hoist" runner --server "$url" --token "$token" --name "bench-$r" --capacity 2 \
        --data-dir "$work/runner-$r" 2> /dev/null &
    pids+=("$!")
done

python3 - "$url" "$token" "$n" "$work/server/hoist.db" "$server" "$idle_kb" <<'PY'
import http.client, json, multiprocessing, sqlite3, sys, time, urllib.parse, urllib.request

url, token, n, db, server, idle_kb = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5], int(sys.argv[6])
host = urllib.parse.urlparse(url).netloc
path = "/api/v1/repos/repo/actions/workflows/one.yml/dispatches"
WORKERS = 4

# One process per connection, not one thread: with threads, an answer that arrives while
# another thread holds the interpreter's lock waits for it (up to its 5 ms switch interval,
# more with four threads), and that wait was counted as the server's latency.
multiprocessing.set_start_method("fork")  # the script comes from stdin: workers must be forks
def worker(w, out):
    conn = http.client.HTTPConnection(host)
    mine = []
    for _ in range(w, n, WORKERS):
        body = json.dumps({"ref": "main", "inputs": {}})
        t0 = time.perf_counter()
        conn.request("POST", path, body, {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        r = conn.getresponse()
        data = r.read()
        dt = time.perf_counter() - t0
        assert r.status == 200, (r.status, data)
        mine.append((dt, json.loads(data)["workflow_run_id"]))
    out.put(mine)

def rss_peak():
    with open(f"/proc/{server}/status") as f:
        for line in f:
            if line.startswith("VmHWM"):
                return int(line.split()[1])
    return 0

start = time.perf_counter()
out = multiprocessing.Queue()
procs = [multiprocessing.Process(target=worker, args=(w, out)) for w in range(WORKERS)]
for p in procs: p.start()
answers = [a for _ in procs for a in out.get()]
for p in procs: p.join()
accepted = time.perf_counter() - start
latencies = [dt for dt, _ in answers]
ids = [i for _, i in answers]
assert len(ids) == n and len(set(ids)) == n, f"{len(set(ids))} distinct runs for {n} dispatches"

# The server's own view of the same requests (its /metrics histogram, timed from routing to
# the answer): the share over 10 and 20 ms there, against the client's.
metrics = urllib.request.urlopen(f"{url}/metrics").read().decode()
buckets = {}
for line in metrics.splitlines():
    if line.startswith("hoist_http_request_duration_seconds_bucket{") and 'dispatches"' in line and 'status="200"' in line:
        buckets[line.split('le="')[1].split('"')[0]] = int(line.rsplit(" ", 1)[1])
server_total = buckets.get("+Inf", 0)
server_over = lambda bound: 100.0 * (server_total - buckets.get(bound, 0)) / max(server_total, 1)
client_over = lambda s: 100.0 * sum(1 for l in latencies if l > s) / max(len(latencies), 1)

con = sqlite3.connect(db)
deadline = time.time() + 600
while True:
    done = con.execute("SELECT COUNT(*) FROM runs WHERE status = 'completed'").fetchone()[0]
    if done >= n or time.time() > deadline:
        break
    time.sleep(0.2)
finished = time.perf_counter() - start

def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, max(0, int(round(p / 100 * len(values))) - 1))]

def first_steps(where=""):
    return [
        (s - c) / 1000.0
        for c, s in con.execute(
            "SELECT r.created_at, MIN(st.started_at) FROM runs r JOIN jobs j ON j.run_id = r.id "
            f"JOIN steps st ON st.job = j.id {where} GROUP BY r.id")
    ]

first_step = first_steps()

# Unloaded: one dispatch at a time, each waited for, so no queue builds up.
conn = http.client.HTTPConnection(host)
quiet_ids = []
for _ in range(20):
    conn.request("POST", path, json.dumps({"ref": "main"}), {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    r = conn.getresponse()
    run_id = json.loads(r.read())["workflow_run_id"]
    quiet_ids.append(run_id)
    while con.execute("SELECT status FROM runs WHERE id = ?", (run_id,)).fetchone()[0] != "completed":
        time.sleep(0.01)
quiet = first_steps(f"WHERE r.id >= {min(quiet_ids)}")
lost = n + 20 - con.execute("SELECT COUNT(*) FROM runs WHERE conclusion = 'success'").fetchone()[0]
twice = con.execute("SELECT COUNT(*) FROM queue WHERE attempts <> 1").fetchone()[0]
steps = con.execute("SELECT COUNT(*) FROM steps").fetchone()[0]
ms = lambda s: f"{s * 1000:.1f} ms"
print(f"| dispatches | {n} (4 connections) |")
print(f"|---|---|")
print(f"| accept latency p50 / p99 | {ms(pct(latencies, 50))} / {ms(pct(latencies, 99))} |")
print(f"| answers over 10 / 20 ms: client / server | {client_over(0.010):.1f} % / {client_over(0.020):.1f} % — {server_over('0.01'):.1f} % / {server_over('0.025'):.1f} % (over 25 ms) |")
print(f"| dispatch → first step, under that load, p50 / p99 | {ms(pct(first_step, 50))} / {ms(pct(first_step, 99))} |")
print(f"| dispatch → first step, one at a time (20), p50 / p99 | {ms(pct(quiet, 50))} / {ms(pct(quiet, 99))} |")
print(f"| runs completed per second (2 runners × 2) | {n / finished:.1f} (all {n} in {finished:.1f} s; accepted in {accepted:.1f} s) |")
print(f"| server RSS idle / peak | {idle_kb / 1024:.1f} MB / {rss_peak() / 1024:.1f} MB |")
print(f"| runs not succeeded / jobs claimed twice / steps run | {lost} / {twice} / {steps} |")
PY
