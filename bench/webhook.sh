#!/usr/bin/env bash
# The admission webhook's benchmark (docs/benchmarks.md): `kubeharden serve` on
# loopback, wrk (Debian: apt-get install -y wrk) POSTing AdmissionReviews of the
# real-world corpus's Pods and Deployments in turn, enforcing every rule at low.
#
#   bash bench/webhook.sh [SECONDS] [CONNECTIONS]      # a run (default 30 s, 16)
#   SOAK=600 bash bench/webhook.sh                     # a soak, RSS sampled each 10 s
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
connections=${2:-16}
out=bench-out/webhook
mkdir -p "$out"

cargo build --release -q -p kubeharden
kh="${CARGO_TARGET_DIR:-target}/release/kubeharden"
[ -s "$out/reviews.jsonl" ] || python3 bench/make_reviews.py ../shared/corpus/real >"$out/reviews.jsonl"
if [ ! -s "$out/tls.crt" ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$out/tls.key" -out "$out/tls.crt" 2>/dev/null
fi
printf 'defaults: {enforce: low, warn: low, audit: low}\n' >"$out/config.yaml"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$kh" serve --no-cluster --addr "127.0.0.1:$port" --cert "$out/tls.crt" --key "$out/tls.key" \
  --config "$out/config.yaml" 2>"$out/serve.log" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -skf "https://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done

# Warm-up, then the measured run.
REVIEWS="$out/reviews.jsonl" wrk -t1 -c"$connections" -d3s -s bench/webhook.lua "https://127.0.0.1:$port" >/dev/null
duration=${SOAK:-$seconds}
: >"$out/rss.txt"
( while kill -0 $server 2>/dev/null; do
    echo "$(date +%s) $(awk '/VmRSS/ {print $2}' /proc/$server/status)" >>"$out/rss.txt"; sleep 10
  done ) &
sampler=$!
REVIEWS="$out/reviews.jsonl" wrk -t1 -c"$connections" -d"${duration}s" --latency -s bench/webhook.lua \
  "https://127.0.0.1:$port" | tee "$out/wrk.txt"
kill $sampler 2>/dev/null || true
echo "RSS (KB) sampled every 10 s: $(awk '{print $2}' "$out/rss.txt" | tr '\n' ' ')"
curl -sk "https://127.0.0.1:$port/metrics" | grep -E '^kubeharden_admission_(reviews_total|review_duration_seconds_(count|sum))' 
