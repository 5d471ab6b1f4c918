#!/usr/bin/env bash
# Benchmark of webhook intake: DELIVERIES GitHub-format `push` deliveries from a second process
# (a small Python load generator, four processes with a keep-alive connection each) to `hoist serve` with one
# embedded runner, of which 10% replay an earlier delivery id and 5% carry a bad signature.
#
# Measures: accept latency (client-side, p50/p99, good deliveries), delivery-to-first-step
# latency (delivery received → the run's first step started, from the server's database,
# p50/p99; under the burst and one at a time), and checks the outcome: every good delivery
# queued exactly one run, no replay and no badly signed delivery queued anything, each answer
# had the right status (202, 202 for a replay, 401).
#
# Usage: bench/webhooks.sh [DELIVERIES]   (needs python3; prints a Markdown table)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000}

. bench/server-setup.sh
repo="$work/platform"
one_step_repo "$repo" push
before=$(git -C "$repo" rev-parse HEAD)
echo change > "$repo/README.md"
git -C "$repo" -c user.email=b@b -c user.name=b add -A
git -C "$repo" -c user.email=b@b -c user.name=b commit -qm second
after=$(git -C "$repo" rev-parse HEAD)

printf 'bench-secret' > "$work/secret"
cat > "$work/hoist.toml" <<TOML
[server]
runners = 1

[server.repos.platform]
path = "$repo"
forge-name = "acme/platform"
webhook-secret-file = "$work/secret"
TOML

start_server --config "$work/hoist.toml"
sleep 1

python3 - "$url" "$n" "$work/server/hoist.db" "$before" "$after" <<'PY'
import hashlib, hmac, http.client, json, multiprocessing, random, sqlite3, sys, time, urllib.parse, urllib.request, uuid

url, n, db, before, after = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
host = urllib.parse.urlparse(url).netloc
secret = b"bench-secret"
random.seed(7)

def payload(i):
    return json.dumps({
        "ref": "refs/heads/main", "before": before, "after": after,
        "repository": {"name": "platform", "full_name": "acme/platform", "default_branch": "main"},
        "pusher": {"name": "dana"}, "sender": {"login": "dana"},
        "head_commit": {"id": after, "message": f"push {i}"},
    }).encode()

# The plan: which deliveries are good, replays of an earlier good one, or badly signed.
plan, good_ids = [], []
for i in range(n):
    r = random.random()
    if r < 0.10 and good_ids:
        plan.append(("replay", random.choice(good_ids), payload(i), True))
    elif r < 0.15:
        plan.append(("bad", str(uuid.uuid4()), payload(i), False))
    else:
        did = str(uuid.uuid4())
        good_ids.append(did)
        plan.append(("good", did, payload(i), True))

# Four worker processes, not threads: with threads, an answer that has arrived waits for the
# interpreter lock (handed over every 5 ms) and the client, not the server, makes the tail.
# A delivery goes to a worker by its id, so a replay is sent by the worker that sent its
# original, after that one was answered, as a forge's redelivery comes.
def send(conn, kind, did, body, signed):
    sig = hmac.new(secret if signed else b"wrong", body, hashlib.sha256).hexdigest()
    headers = {"Content-Type": "application/json", "X-GitHub-Event": "push",
               "X-GitHub-Delivery": did, "X-Hub-Signature-256": f"sha256={sig}"}
    t0 = time.perf_counter()
    conn.request("POST", "/api/v1/hooks/github", body, headers)
    r = conn.getresponse()
    r.read()
    return r.status, time.perf_counter() - t0

WORKERS = 4
multiprocessing.set_start_method("fork")  # the script comes from stdin: workers must be forks
def worker(w, out):
    conn = http.client.HTTPConnection(host)
    mine = []
    for kind, did, body, signed in plan:
        if int(hashlib.sha256(did.encode()).hexdigest(), 16) % WORKERS != w:
            continue
        status, dt = send(conn, kind, did, body, signed)
        mine.append((kind, did, status, dt))
    out.put(mine)

start = time.perf_counter()
out = multiprocessing.Queue()
procs = [multiprocessing.Process(target=worker, args=(w, out)) for w in range(WORKERS)]
for p in procs: p.start()
answers = [a for _ in procs for a in out.get()]
for p in procs: p.join()
accepted_in = time.perf_counter() - start

# The server's own view of the same requests (its /metrics histogram, timed from routing to
# the answer): what share of the 202s took over 10 ms there, against the share the client saw.
metrics = urllib.request.urlopen(f"{url}/metrics").read().decode()
def server_buckets(route, status):
    out = {}
    for line in metrics.splitlines():
        if line.startswith("hoist_http_request_duration_seconds_bucket{") and f'route="{route}"' in line and f'status="{status}"' in line:
            le = line.split('le="')[1].split('"')[0]
            out[le] = int(line.rsplit(" ", 1)[1])
    return out
hook_buckets = server_buckets("/api/v1/hooks/github", 202)
con = sqlite3.connect(db)
good = len(good_ids)
deadline = time.time() + 900
while True:
    done = con.execute("SELECT COUNT(*) FROM runs WHERE status = 'completed'").fetchone()[0]
    if done >= good or time.time() > deadline:
        break
    time.sleep(0.2)
finished = time.perf_counter() - start

def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, max(0, int(round(p / 100 * len(values))) - 1))]

def first_steps(ids):
    out = []
    for did in ids:
        received, runs = con.execute("SELECT received_at, runs FROM deliveries WHERE id = ?", (did,)).fetchone()
        for run in json.loads(runs):
            s = con.execute("SELECT MIN(st.started_at) FROM jobs j JOIN steps st ON st.job = j.id WHERE j.run_id = ?", (run,)).fetchone()[0]
            if s is not None:
                out.append((s - received) / 1000.0)
    return out

burst = first_steps(good_ids)

# One at a time: each delivery waited for until its run finished.
conn = http.client.HTTPConnection(host)
quiet = []
for i in range(20):
    did = str(uuid.uuid4())
    status, _ = send(conn, "good", did, payload(n + i), True)
    assert status == 202, status
    while True:
        row = con.execute("SELECT runs FROM deliveries WHERE id = ?", (did,)).fetchone()
        runs = json.loads(row[0]) if row else []
        if runs and con.execute("SELECT status FROM runs WHERE id = ?", (runs[0],)).fetchone()[0] == "completed":
            break
        time.sleep(0.01)
    quiet.append(did)
quiet_first = first_steps(quiet)

# The outcome, from the server's own records.
wrong_answers = [(k, s) for k, _, s, _ in answers if s != {"good": 202, "replay": 202, "bad": 401}[k]]
runs_per_good = [len(json.loads(con.execute("SELECT runs FROM deliveries WHERE id = ?", (d,)).fetchone()[0])) for d in good_ids]
not_once = sum(1 for c in runs_per_good if c != 1)
push_runs = con.execute("SELECT COUNT(*) FROM runs WHERE event = 'push'").fetchone()[0]
extra = push_runs - good - len(quiet)
bad_ids = [d for k, d, _, _ in answers if k == "bad"]
bad_queued = sum(len(json.loads(r[0])) for d in bad_ids for r in con.execute("SELECT runs FROM deliveries WHERE id = ?", (d,)))
bad_logged = sum(1 for d in bad_ids if con.execute("SELECT status FROM deliveries WHERE id = ?", (d,)).fetchone() == ("rejected",))
counts = {k: sum(1 for a in answers if a[0] == k) for k in ("good", "replay", "bad")}
lat = [dt for k, _, _, dt in answers if k == "good"]
ms = lambda s: f"{s * 1000:.1f} ms"
print(f"| deliveries | {n}: {counts['good']} good, {counts['replay']} replays, {counts['bad']} badly signed (4 connections) |")
print("|---|---|")
print(f"| accept latency, good deliveries, p50 / p99 | {ms(pct(lat, 50))} / {ms(pct(lat, 99))} |")
print(f"| all answered in | {accepted_in:.1f} s |")
total = hook_buckets.get("+Inf", 0)
over = lambda bound: 100.0 * (total - hook_buckets.get(bound, 0)) / max(total, 1)
client_over = 100.0 * sum(1 for d in lat if d > 0.010) / max(len(lat), 1)
print(f"| answers (202) over 10 ms: at the client / in the server | {client_over:.1f} % / {over('0.01'):.1f} % of {total} |")
print(f"| delivery → first step, under that load, p50 / p99 | {ms(pct(burst, 50))} / {ms(pct(burst, 99))} |")
print(f"| delivery → first step, one at a time (20), p50 / p99 | {ms(pct(quiet_first, 50))} / {ms(pct(quiet_first, 99))} |")
print(f"| runs completed per second (1 runner) | {good / finished:.1f} |")
print(f"| wrong answers / good not queued exactly once / extra runs | {len(wrong_answers)} / {not_once} / {extra} |")
print(f"| badly signed: queued / logged as rejected | {bad_queued} / {bad_logged} of {len(bad_ids)} |")
PY
