#!/usr/bin/env python3
"""Copies a folder of manifests with every list a fingerprint names by key reversed.

Usage: bench/reorder_lists.py SRC DST

Each YAML file that parses is written again (block style, comments dropped, keys in
reverse order) with its documents in reverse order and these lists reversed: the
items of containers, volumes, volumeMounts, env, envFrom, ports, RBAC subjects and
rules, capabilities, NetworkPolicy ingress/egress and their peers, webhooks and the
like. Files that do not parse as YAML (Helm templates) and other files are copied as
they are. A baseline written on SRC should then show nothing new on DST
(docs/config.md#baselines).
"""

import shutil
import sys
from pathlib import Path

import yaml

REORDERED = {
    "containers", "initContainers", "ephemeralContainers", "volumes", "volumeMounts",
    "volumeDevices", "env", "envFrom", "ports", "subjects", "rules", "add", "drop",
    "ingress", "egress", "from", "to", "webhooks", "sysctls", "tolerations",
    "imagePullSecrets", "hostAliases", "supplementalGroups",
}


def reorder(node, key=None):
    if isinstance(node, dict):
        items = [(k, reorder(v, k)) for k, v in node.items()]
        return dict(reversed(items))
    if isinstance(node, list):
        items = [reorder(v) for v in node]
        return list(reversed(items)) if key in REORDERED else items
    return node


def rewrite(src: Path, dst: Path) -> bool:
    try:
        docs = list(yaml.safe_load_all(src.read_text()))
    except (yaml.YAMLError, UnicodeDecodeError):
        return False
    if not any(isinstance(d, dict) and "kind" in d for d in docs):
        return False
    docs = [reorder(d) for d in reversed(docs) if d is not None]
    dst.write_text(yaml.safe_dump_all(docs, sort_keys=False))
    return True


def main(src: str, dst: str) -> None:
    src_root, dst_root = Path(src), Path(dst)
    shutil.copytree(src_root, dst_root, symlinks=True)
    rewritten = 0
    for path in sorted(src_root.rglob("*")):
        if path.is_file() and not path.is_symlink() and path.suffix in (".yaml", ".yml"):
            # A chart's files are templates and values: left as they are.
            if any((p / "Chart.yaml").exists() for p in path.parents):
                continue
            rewritten += rewrite(path, dst_root / path.relative_to(src_root))
    print(f"rewrote {rewritten} files with their lists reversed", file=sys.stderr)


if __name__ == "__main__":
    main(*sys.argv[1:])
