#!/usr/bin/env bash
# The admission webhook's benchmark (docs/benchmarks.md): `kubeharden serve` on
# loopback, wrk (Debian: apt-get install -y wrk) POSTing AdmissionReviews of the
# real-world corpus's Pods and Deployments in turn, enforcing every rule at low.
#
#   bash bench/webhook.sh [SECONDS] [CONNECTIONS]      # a run (default 30 s, 16)
#   SOAK=600 bash bench/webhook.sh                     # a soak, RSS sampled each 10 s
#   KH=path/to/kubeharden bash bench/webhook.sh        # another build (before/after)
#   ANSWERS=file bash bench/webhook.sh                 # also every answer, for a diff
#
# Prints the server's CPU per review (user+sys of the process over the measured run,
# divided by the reviews it answered): less sensitive than reviews/s to other load.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
connections=${2:-16}
out=bench-out/webhook
mkdir -p "$out"

if [ -z "${KH:-}" ]; then
  cargo build --release -q -p kubeharden
  KH="${CARGO_TARGET_DIR:-target}/release/kubeharden"
fi
kh=$KH
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

[ -z "${ANSWERS:-}" ] || python3 bench/webhook_answers.py "https://127.0.0.1:$port" "$out/reviews.jsonl" >"$ANSWERS"
# Warm-up, then the measured run.
REVIEWS="$out/reviews.jsonl" wrk -t1 -c"$connections" -d3s -s bench/webhook.lua "https://127.0.0.1:$port" >/dev/null
# Clock ticks of user+sys CPU (fields 14 and 15 of /proc/PID/stat) and reviews answered.
cpu() { awk '{print $14 + $15}' "/proc/$server/stat"; }
answered() { curl -sk "https://127.0.0.1:$port/metrics" | awk '/^kubeharden_admission_review_duration_seconds_count/ {print $2}'; }
cpu_before=$(cpu) reviews_before=$(answered)
duration=${SOAK:-$seconds}
: >"$out/rss.txt"
( while kill -0 $server 2>/dev/null; do
    echo "$(date +%s) $(awk '/VmRSS/ {print $2}' /proc/$server/status)" >>"$out/rss.txt"; sleep 10
  done ) &
sampler=$!
# wrk's own CPU too: it shares the 2 cores with the server.
REVIEWS="$out/reviews.jsonl" /usr/bin/time -f '%U %S' -o "$out/wrk-cpu.txt" \
  wrk -t1 -c"$connections" -d"${duration}s" --latency -s bench/webhook.lua \
  "https://127.0.0.1:$port" | tee "$out/wrk.txt"
kill $sampler 2>/dev/null || true
cpu_after=$(cpu) reviews_after=$(answered)
echo "server CPU per review: $(python3 -c "print(round(($cpu_after - $cpu_before) / $(getconf CLK_TCK) / ($reviews_after - $reviews_before) * 1e6, 1))") us ($((reviews_after - reviews_before)) reviews; load average $(cut -d' ' -f1-3 /proc/loadavg))"
echo "wrk CPU per review: $(python3 -c "u, s = open('$out/wrk-cpu.txt').read().split()[-2:]; print(round((float(u) + float(s)) / ($reviews_after - $reviews_before) * 1e6, 1))") us"
echo "RSS (KB) sampled every 10 s: $(awk '{print $2}' "$out/rss.txt" | tr '\n' ' ')"
curl -sk "https://127.0.0.1:$port/metrics" | grep -E '^kubeharden_admission_(reviews_total|review_duration_seconds_(count|sum))' 
