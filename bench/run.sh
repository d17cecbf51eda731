#!/usr/bin/env bash
# Benchmarks for docs/benchmarks.md. Needs ../shared (corpus), python3 with PyYAML,
# /usr/bin/time, and optionally hyperfine and checkov (`pip install checkov`; set
# CHECKOV=/path/to/checkov if it is not on PATH).
#
#   bash bench/run.sh            # all cases; results in bench-out/results.txt
set -euo pipefail
cd "$(dirname "$0")/.."
shared=../shared
out=bench-out
mkdir -p "$out"
results="$out/results.txt"
: > "$results"

cargo build --release -q -p kubeharden
cargo build --release -q -p kubeharden-yaml --example yaml_parse
kh=target/release/kubeharden
parse=target/release/examples/yaml_parse
checkov=${CHECKOV:-$(command -v checkov || true)}

if [ ! -d "$out/corpus/100k" ]; then
  python3 "$shared/corpus/make_corpus.py" --real "$shared/corpus/real" --out "$out/corpus" \
    --exclude-kinds CustomResourceDefinition 10000 100000 >/dev/null
fi

say() { echo "$*" | tee -a "$results"; }

# peak RSS (KB) and wall seconds of one run, via /usr/bin/time -v
measure() {
  local log
  log=$(mktemp)
  /usr/bin/time -v "$@" >/dev/null 2>"$log" || true
  local rss wall
  rss=$(awk -F: '/Maximum resident set size/ {gsub(/ /,"",$2); print $2}' "$log")
  wall=$(awk '/Elapsed \(wall clock\)/ {print $NF}' "$log")
  echo "peak_rss_kb=$rss wall=$wall"
  rm -f "$log"
}

case_run() {
  local name=$1 path=$2
  local bytes objects
  bytes=$(find "$path" -type f \( -name '*.yaml' -o -name '*.yml' -o -name '*.json' \) -print0 | du -cb --files0-from=- | tail -1 | cut -f1)
  objects=$({ "$kh" scan "$path" --format json --fail-on none 2>/dev/null || true; } | python3 -c 'import json,sys; print(json.load(sys.stdin)["summary"]["objects"])')
  say "== $name: $bytes bytes, $objects objects"
  for j in 1 2; do
    say "kubeharden -j$j: $(measure "$kh" scan "$path" -j "$j" --format json --fail-on none -o /dev/null)"
    say "saphyr-parser raw parse -j$j: $("$parse" -j "$j" "$path")"
  done
  if command -v hyperfine >/dev/null; then
    hyperfine -N -i --warmup 1 --runs 5 --export-json "$out/hyperfine-$name.json" \
      "$kh scan $path --format json --fail-on none -o /dev/null" 2>&1 | grep -E "Time|Range" | tee -a "$results" || true
  fi
}

case_run real "$shared/corpus/real"
case_run gen10k "$out/corpus/10k/files"
case_run gen100k "$out/corpus/100k/files"
say "== gen100k as one multi-document file"
say "kubeharden -j2: $(measure "$kh" scan "$out/corpus/100k/all.yaml" -j 2 --format json --fail-on none -o /dev/null)"
say "saphyr-parser raw parse -j1 (one file cannot be split by the raw parser): $("$parse" -j 1 "$out/corpus/100k/all.yaml")"

if [ -n "$checkov" ]; then
  say "== checkov on real ($("$checkov" --version))"
  say "checkov: $(measure "$checkov" -d "$shared/corpus/real" --framework kubernetes --quiet --compact -o json)"
fi

# Cluster-wide analysis at scale (issue 3): 10,000 pods, 1,000 NetworkPolicies,
# 2,000 Services in 100 namespaces.
python3 bench/make_cluster.py "$out/cluster.yaml" >/dev/null
say "== cluster: 10,000 pods, 1,000 policies, 2,000 services"
say "kubeharden --select KH5 (cluster rules): $(measure "$kh" scan "$out/cluster.yaml" --select KH5 --format json --fail-on none -o /dev/null)"
say "kubeharden, all rules: $(measure "$kh" scan "$out/cluster.yaml" --format json --fail-on none -o /dev/null)"
say "netpol matrix of one namespace (100 x 100): $(measure "$kh" netpol matrix -n team-000 "$out/cluster.yaml" --format json -o /dev/null)"
if command -v hyperfine >/dev/null; then
  hyperfine -N -i --warmup 1 --runs 5 "$kh scan $out/cluster.yaml --select KH5 --format json --fail-on none -o /dev/null" 2>&1 | grep -E "Time|Range" | tee -a "$results" || true
fi

# RBAC at scale (issue 4): 5,000 roles and 10,000 bindings.
python3 bench/make_rbac.py "$out/rbac.yaml" >/dev/null
cargo build --release -q -p kubeharden-rbac --example rbac_bench
say "== rbac: 5,000 roles, 10,000 bindings"
say "$(target/release/examples/rbac_bench "$out/rbac.yaml")"
say "rbac who-can (whole command): $(measure "$kh" rbac who-can get secrets -n team-001 "$out/rbac.yaml" --format json -o /dev/null)"
say "scan --select KH6 (RBAC rules, escalation paths included): $(measure "$kh" scan "$out/rbac.yaml" --select KH6 --format json --fail-on none -o /dev/null)"

# Audit-log detection (issue 6): 2,000,000 events (1.27 GB).
cargo build --release -q -p kubeharden-audit --features synthetic --example make_audit_log
[ -f "$out/audit-2m.jsonl" ] || target/release/examples/make_audit_log "$out/audit-2m.jsonl" 2000000
say "== audit-log: 2,000,000 events"
for j in 1 2; do
  say "kubeharden audit-log -j$j: $(RAYON_NUM_THREADS=$j measure "$kh" audit-log "$out/audit-2m.jsonl" --cluster-cidr 10.244.0.0/16 --format json --fail-on none -o /dev/null)"
done
