#!/usr/bin/env python3
"""Findings before and after merging, from two JSON reports of one scan.

usage: bench/noise.py BEFORE.json AFTER.json
  BEFORE: kubeharden scan PATH --no-merge --format json   (every rule's finding apart)
  AFTER:  kubeharden scan PATH --format json              (one finding per problem)

Prints the totals, per rule, the median findings per workload and the most on one
object, then checks that no problem was lost: every (object, rule) pair of BEFORE
is still an object's finding in AFTER, of that rule or of one that covers it (or of
its Namespace, for KH512). Exits
1, listing them, when some are missing.
"""
import json
import statistics
import sys
from collections import Counter

WORKLOADS = {"Pod", "Deployment", "ReplicaSet", "ReplicationController", "StatefulSet",
             "DaemonSet", "Job", "CronJob", "PodTemplate", "Rollout"}


def load(path):
    with open(path) as f:
        return json.load(f)["findings"]


def obj(f):
    r = f["resource"]
    return (f["location"]["file"], r["kind"], r["namespace"] or "", r["name"])


def figures(findings):
    per_obj = Counter(obj(f) for f in findings)
    workloads = [n for o, n in per_obj.items() if o[1] in WORKLOADS]
    return {
        "total": len(findings),
        "by_rule": Counter(f["rule_id"] for f in findings),
        "by_severity": Counter(f["severity"] for f in findings),
        "median_per_workload": statistics.median(workloads) if workloads else 0,
        "workloads_with_findings": len(workloads),
        "max_per_object": max(per_obj.values(), default=0),
        "max_object": max(per_obj, key=per_obj.get) if per_obj else None,
    }


def lost(before, after):
    """The (object, rule) pairs of BEFORE that AFTER states neither on the object nor,
    for a namespaced object, on its Namespace (a missing default-deny stands for the
    workloads it leaves open, and names them)."""
    kept = set()
    for f in after:
        for rule in [f["rule_id"]] + f.get("covers", []):
            kept.add((obj(f), rule))
            if f["resource"]["kind"] == "Namespace":
                kept.add((("namespace", f["resource"]["name"]), rule))
    missing = set()
    for f in before:
        o, rule = obj(f), f["rule_id"]
        namespace = ("namespace", f["resource"]["namespace"])
        if (o, rule) not in kept and (namespace, rule) not in kept:
            missing.add((o, rule))
    return sorted(missing)


def main():
    before, after = load(sys.argv[1]), load(sys.argv[2])
    b, a = figures(before), figures(after)
    print(f"| | before | after |\n|---|---:|---:|")
    for key, label in [("total", "findings"), ("median_per_workload", "median per workload (with findings)"),
                       ("max_per_object", "most on one object")]:
        print(f"| {label} | {b[key]:,} | {a[key]:,} |")
    for sev in ["critical", "high", "medium", "low", "info"]:
        print(f"| {sev} | {b['by_severity'][sev]:,} | {a['by_severity'][sev]:,} |")
    print(f"\nmost on one object before: {b['max_object']}\nafter: {a['max_object']}\n")
    print("| rule | before | after |\n|---|---:|---:|")
    for rule in sorted(set(b["by_rule"]) | set(a["by_rule"]), key=lambda r: -b["by_rule"][r]):
        if b["by_rule"][rule] != a["by_rule"][rule]:
            print(f"| {rule} | {b['by_rule'][rule]:,} | {a['by_rule'][rule]:,} |")
    missing = lost(before, after)
    covered = sum(1 for f in after if f.get("covers"))
    print(f"\n{covered:,} findings stand for others; problems lost: {len(missing)}")
    for o, rule in missing[:50]:
        print(f"  LOST {rule} {o}")
    sys.exit(1 if missing else 0)


if __name__ == "__main__":
    main()
