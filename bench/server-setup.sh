# Sourced by the CI server's benchmarks (bench/server.sh, bench/webhooks.sh): a scratch
# directory removed on exit with every process started, the release build of `hoist`, a
# repository with a one-step workflow, and a started `hoist serve`.

work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

cargo build --release --quiet -p hoist
hoist="$PWD/target/release/hoist"

# one_step_repo DIR EVENT: a git repository in DIR whose workflow `one.yml` runs `true` on EVENT.
one_step_repo() {
    mkdir -p "$1/.github/workflows"
    cat > "$1/.github/workflows/one.yml" <<YML
name: One
on: $2
jobs:
  one:
    runs-on: ubuntu-latest
    steps:
      - run: 'true'
YML
    git -C "$1" init -q -b main
    git -C "$1" -c user.email=b@b -c user.name=b add -A
    git -C "$1" -c user.email=b@b -c user.name=b commit -qm bench
}

# start_server ARGS...: `hoist serve ARGS --listen 127.0.0.1:0 --data-dir $work/server`;
# sets `server` (its pid) and `url`.
start_server() {
    "$hoist" serve "$@" --listen 127.0.0.1:0 --data-dir "$work/server" 2> "$work/serve.log" &
    server=$!
    pids+=("$server")
    for _ in $(seq 100); do grep -q listening "$work/serve.log" && break; sleep 0.05; done
    url=$(grep -o 'http://[0-9.:]*' "$work/serve.log" | head -1)
}
