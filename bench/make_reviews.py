#!/usr/bin/env python3
"""AdmissionReviews (admission.k8s.io/v1) of the real-world corpus's Pods and
Deployments, one JSON document a line, for the webhook benchmark (bench/webhook.sh).

    python3 bench/make_reviews.py ../shared/corpus/real > reviews.jsonl
"""
import json
import pathlib
import sys
import uuid

import yaml

KINDS = {("v1", "Pod"): ("", "v1", "pods"), ("apps/v1", "Deployment"): ("apps", "v1", "deployments")}


def objects(root):
    for path in sorted(pathlib.Path(root).rglob("*.y*ml")):
        try:
            docs = list(yaml.safe_load_all(path.read_text(errors="replace")))
        except yaml.YAMLError:
            continue
        for doc in docs:
            if isinstance(doc, dict) and (doc.get("apiVersion"), doc.get("kind")) in KINDS:
                meta = doc.get("metadata") or {}
                if isinstance(meta, dict) and meta.get("name"):
                    yield doc


def review(obj, i):
    group, version, resource = KINDS[(obj["apiVersion"], obj["kind"])]
    ns = obj["metadata"].get("namespace") or "bench"
    obj["metadata"]["namespace"] = ns
    return {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": str(uuid.UUID(int=i)),
            "kind": {"group": group, "version": version, "kind": obj["kind"]},
            "resource": {"group": group, "version": version, "resource": resource},
            "namespace": ns,
            "name": obj["metadata"]["name"],
            "operation": "CREATE",
            "userInfo": {"username": "bench", "groups": ["system:authenticated"]},
            "object": obj,
            "oldObject": None,
            "dryRun": False,
        },
    }


def main():
    n = 0
    for i, obj in enumerate(objects(sys.argv[1])):
        # JSON of dates and the like as strings, as the API server sends them.
        print(json.dumps(review(obj, i), default=str, separators=(",", ":")))
        n += 1
    print(f"{n} reviews", file=sys.stderr)


if __name__ == "__main__":
    main()
