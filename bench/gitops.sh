#!/usr/bin/env bash
# The GitOps benchmark: N applications of R resources each (default 1,000 × 10) against the
# test API server (hoist-testcluster: etcd, kube-apiserver and kube-controller-manager 1.20.2
# on loopback). Measures the first sync of all of them, a refresh of all of them when
# nothing changed, and how long a commit touching one application takes to be live.
#
# bench/gitops.sh [N] [R]        (needs `cargo xtask setup`; prints the figures for BENCHMARKS.md)
set -euo pipefail
N=${1:-1000}
R=${2:-10}
root=$(cd "$(dirname "$0")/.." && pwd)
export PATH="${HOIST_DEV_CACHE:-$HOME/.cache/hoist-dev}/bin:$PATH"
cargo build --release -q -p hoist -p hoist-testcluster --manifest-path "$root/Cargo.toml"
hoist=$root/target/release/hoist
work=$(mktemp -d)
cleanup() {
    [ -n "${watch_pid:-}" ] && kill "$watch_pid" 2>/dev/null || true
    exec 3>&- || true
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# The cluster lives while fd 3 is open.
mkfifo "$work/ctl"
"$root/target/release/hoist-testcluster" "$work/kubeconfig" < "$work/ctl" 2> "$work/cluster.log" &
exec 3> "$work/ctl"
for _ in $(seq 300); do [ -s "$work/kubeconfig" ] && break; sleep 0.2; done
[ -s "$work/kubeconfig" ] || { cat "$work/cluster.log"; exit 1; }
export KUBECONFIG=$work/kubeconfig HOIST_DATA_DIR=$work/data
kubectl() { command kubectl --kubeconfig "$KUBECONFIG" "$@"; }

python3 "$root/bench/gitops-repo.py" "$work/repo" "$N" "$R"
cd "$work/repo"
git init -q -b main && git add -A && git -c user.name=bench -c user.email=b@example.com commit -qm "$N apps"

now() { date +%s.%N; }
seconds() { python3 -c "print(f'{$2 - $1:.2f}')"; }

echo "== $N applications × $R ConfigMaps (hoist $(git -C "$root" rev-parse --short HEAD), $(nproc) cores)"
t0=$(now); "$hoist" app watch --once 2> "$work/first.log"; t1=$(now)
live=$(kubectl get configmaps -n bench -l bench=true --no-headers | wc -l)
echo "first sync of all:        $(seconds "$t0" "$t1") s  ($live ConfigMaps live)"

for i in 1 2 3; do
    t0=$(now); "$hoist" app watch --once 2> "$work/refresh.log"; t1=$(now)
    syncs=$(grep -c "auto-sync to" "$work/refresh.log" || true)
    echo "no-change refresh #$i:     $(seconds "$t0" "$t1") s  (a new process: catalog, watches' initial lists, renders from the cache; $syncs syncs)"
done

# A long-running reconciler; wait until its first pass has seen everything Synced.
"$hoist" app watch --interval 1 2> "$work/watch.log" &
watch_pid=$!
for _ in $(seq 600); do
    [ "$(grep -c ": Synced" "$work/watch.log" || true)" -ge "$N" ] && break
    sleep 0.2
done
app=$(printf "app-%04d" $((N / 2)))
sed -i 's/version: "1"/version: "2"/' "apps/$app/config.yaml"
git -c user.name=bench -c user.email=b@example.com commit -qam "change $app"
t0=$(now)
for _ in $(seq 600); do
    [ "$(kubectl get configmap "$app-00" -n bench -o jsonpath='{.data.version}')" = 2 ] && break
    sleep 0.05
done
t1=$(now)
echo "one-app commit to live:   $(seconds "$t0" "$t1") s  (the reconciler notices the moved ref within 250 ms)"
