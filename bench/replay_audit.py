#!/usr/bin/env python3
"""Builds a large, real-shaped audit log from a real one (the test bed's) by replaying
its lines: copy k gets new auditIDs (the first 8 hex digits become k) and timestamps
shifted by k times the log's span, so windows and stages behave as in the original.
Everything else in a line is kept byte for byte, escapes included.

    bench/replay_audit.py REAL.log OUT.log EVENTS
"""
import datetime as dt
import re
import sys

TS = re.compile(rb'"(requestReceivedTimestamp|stageTimestamp)":"([0-9T:.\-]+)Z"')
ID = re.compile(rb'"auditID":"([0-9a-f]{8})')
EPOCH = dt.datetime(1970, 1, 1)


def micros(text):
    return int((dt.datetime.fromisoformat(text.decode()) - EPOCH) / dt.timedelta(microseconds=1))


def stamp(us):
    return (EPOCH + dt.timedelta(microseconds=us)).strftime("%Y-%m-%dT%H:%M:%S.%f").encode()


def templates(lines):
    """Each line as pieces: literal bytes, ('id',), ('ts', micros)."""
    out = []
    for line in lines:
        marks = [(m.start(1), m.end(1), ("id",)) for m in ID.finditer(line)]
        marks += [(m.start(2), m.end(2), ("ts", micros(m.group(2)))) for m in TS.finditer(line)]
        pieces, pos = [], 0
        for start, end, what in sorted(marks):
            pieces += [line[pos:start], what]
            pos = end
        pieces.append(line[pos:])
        out.append(pieces)
    return out


def main():
    real, target, events = sys.argv[1], sys.argv[2], int(sys.argv[3])
    lines = [l for l in open(real, "rb") if l.strip()]
    times = [p[1] for t in templates(lines) for p in t if isinstance(p, tuple) and p[0] == "ts"]
    span = max(times) - min(times) + 1_000_000
    tmpl = templates(lines)
    written, k = 0, 0
    with open(target, "wb") as out:
        while written < events:
            kid = b"%08x" % k
            for pieces in tmpl:
                parts = []
                for p in pieces:
                    if isinstance(p, bytes):
                        parts.append(p)
                    elif p[0] == "id":
                        parts.append(kid)
                    else:
                        parts.append(stamp(p[1] + k * span))
                out.write(b"".join(parts))
                written += 1
                if written >= events:
                    break
            k += 1
    print(f"{written} lines, {k} copies of {len(lines)}", file=sys.stderr)


if __name__ == "__main__":
    main()
