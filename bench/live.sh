#!/usr/bin/env bash
# The live-cluster scale benchmark (docs/benchmarks.md): a test bed of its own is filled
# with OBJECTS (50,000) objects from bench/make_live.py, then `kubeharden cluster` is
# timed with its peak memory (/usr/bin/time -v), with and without --snapshot, and
# `kubeharden scan` of the snapshot for comparison. Everything CPU-bound runs under
# nice -n 19 (the machine is shared).
#
#   bash bench/live.sh            # results in bench-out/live/results.txt
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench-out/live
objects=${OBJECTS:-50000}
mkdir -p "$out"
results="$out/results.txt"
: > "$results"
say() { echo "$*" | tee -a "$results"; }

nice -n 19 cargo build --release -q -p kubeharden
kh=$PWD/target/release/kubeharden

export KUBEHARDEN_TESTBED_DIR=${KUBEHARDEN_TESTBED_DIR:-/tmp/kubeharden-testbed-bench-$$}
trap 'testbed/down >/dev/null 2>&1; rm -rf "$KUBEHARDEN_TESTBED_DIR"' EXIT
testbed/up --watch $$ >/dev/null
# shellcheck disable=SC1091
source "$KUBEHARDEN_TESTBED_DIR/testbed.env"
kubectl() { "$BIN/kubectl" --kubeconfig "$KUBECONFIG" --context admin "$@"; }

rm -rf "$out/objects"
python3 bench/make_live.py "$out/objects" --objects "$objects" | tee -a "$results"
start=$(date +%s)
for f in "$out"/objects/0*.yaml; do kubectl create -f "$f" >/dev/null; done
ls "$out"/objects/[1-9]*.yaml | nice -n 19 xargs -P 4 -I{} "$BIN/kubectl" --kubeconfig "$KUBECONFIG" --context admin create -f {} >/dev/null
say "created in $(( $(date +%s) - start )) s"

# peak RSS (KB), wall time and CPU seconds (user + system: steadier than the wall
# time on a shared machine) of one run, via /usr/bin/time -v
measure() {
  local log
  log=$(mktemp)
  nice -n 19 /usr/bin/time -v "$@" >/dev/null 2>"$log" || true
  local rss wall cpu
  rss=$(awk -F: '/Maximum resident set size/ {gsub(/ /,"",$2); print $2}' "$log")
  wall=$(awk '/Elapsed \(wall clock\)/ {print $NF}' "$log")
  cpu=$(awk -F: '/User time|System time/ {s += $2} END {printf "%.2f", s}' "$log")
  echo "peak_rss_kb=$rss wall=$wall cpu_s=$cpu"
  rm -f "$log"
}

snapshot="$out/snapshot.yaml"
"$kh" cluster --kubeconfig "$KUBECONFIG" --format json --fail-on none -o "$out/cluster.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); s=d["summary"]; print("cluster: objects", s["objects"], "findings", s["findings"], "errors", s["errors"])' "$out/cluster.json" | tee -a "$results"
for run in 1 2; do
  say "cluster, run $run: $(measure "$kh" cluster --kubeconfig "$KUBECONFIG" --format json --fail-on none -o /dev/null)"
done
say "cluster --snapshot: $(measure "$kh" cluster --kubeconfig "$KUBECONFIG" --format json --fail-on none -o /dev/null --snapshot "$snapshot")"
say "cluster --chunk-size 100: $(measure "$kh" cluster --kubeconfig "$KUBECONFIG" --format json --fail-on none -o /dev/null --chunk-size 100)"
say "snapshot: $(du -b "$snapshot" | cut -f1) bytes"
for run in 1 2; do
  say "scan snapshot, run $run: $(measure "$kh" scan "$snapshot" --format json --fail-on none -o /dev/null)"
done
"$kh" scan "$snapshot" --format json --fail-on none -o "$out/scan.json"
python3 - "$out/cluster.json" "$out/scan.json" <<'PY' | tee -a "$results"
import json, sys
def verdicts(path):
    d = json.load(open(path))
    return {(f["rule_id"], f["resource"]["kind"], f["resource"]["namespace"], f["resource"]["name"], f["path"]) for f in d["findings"]}
live, offline = verdicts(sys.argv[1]), verdicts(sys.argv[2])
print(f"findings: cluster {len(live)}, scan of the snapshot {len(offline)}, the same: {live == offline}")
PY
