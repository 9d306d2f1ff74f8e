#!/usr/bin/env bash
# Cross-check of `./coffer bench transfers` with an outside load generator: starts `./coffer serve`
# on a fresh data directory and a free loopback port, creates and funds the accounts, runs wrk with
# bench/transfers.lua, and stops the server.
#   bench/wrk-transfers.sh [connections=64] [seconds=20] [accounts=1000]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
conns="${1:-64}" secs="${2:-20}" accounts="${3:-1000}"
command -v wrk >/dev/null || { (apt-get install -y wrk || (apt-get update && apt-get install -y wrk)) >/dev/null; }
dir="$(mktemp -d "$root/bench-out/wrk-XXXXXX" 2>/dev/null || { mkdir -p "$root/bench-out"; mktemp -d "$root/bench-out/wrk-XXXXXX"; })"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
COFFER_JAVA_OPTS="${COFFER_JAVA_OPTS:--Xmx1g}" "$root/coffer" serve --port "$port" --data-dir "$dir/data" >"$dir/server.out" 2>"$dir/server.log" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 600); do grep -q '^  cfk_' "$dir/server.out" 2>/dev/null && break; sleep 0.1; done
key="$(grep -m1 -o 'cfk_[A-Za-z0-9_-]*' "$dir/server.out")"
url="http://127.0.0.1:$port"
curl -sf -H "Authorization: Bearer $key" -H 'Content-Type: application/json' -d '{"code":"USD","scale":2}' "$url/v1/assets" >/dev/null
for ((from = 0; from < accounts; from += 500)); do
  ops=""
  for ((i = from; i < from + 500 && i < accounts; i++)); do
    ops+="${ops:+,}{\"type\":\"create_account\",\"account_id\":\"acct-$i\",\"asset\":\"USD\",\"owner\":\"bench\"},{\"type\":\"deposit\",\"id\":\"fund-$i\",\"account_id\":\"acct-$i\",\"amount\":\"1000000000000\"}"
  done
  curl -sf -H "Authorization: Bearer $key" -H 'Content-Type: application/json' -d "{\"operations\":[$ops]}" "$url/v1/batch" >/dev/null
done
COFFER_KEY="$key" COFFER_ACCOUNTS="$accounts" wrk -t2 -c"$conns" -d5s -s "$root/bench/transfers.lua" "$url" >/dev/null
echo "wrk -t2 -c$conns -d${secs}s, $accounts accounts (after 5 s of warm-up):"
echo "server pid: $server" >&2
COFFER_KEY="$key" COFFER_ACCOUNTS="$accounts" wrk -t2 -c"$conns" -d"${secs}s" --latency -s "$root/bench/transfers.lua" "$url"
curl -s -H "Authorization: Bearer $key" "$url/metrics" > "$dir/metrics.txt" || true
echo "server metrics: $dir/metrics.txt"
