#!/usr/bin/env python3
"""Every answer a running webhook gives to a file of AdmissionReviews, one JSON a line
in the same order, so that two builds can be compared byte for byte (a speed-up must
not change a single answer):

    python3 bench/webhook_answers.py https://127.0.0.1:PORT reviews.jsonl > answers.jsonl
"""
import http.client
import ssl
import sys
import urllib.parse


def main(url, reviews):
    parsed = urllib.parse.urlparse(url)
    # The benchmark's certificate is self-signed: what is compared is the answer.
    context = ssl._create_unverified_context()
    conn = http.client.HTTPSConnection(parsed.hostname, parsed.port, context=context)
    with open(reviews, "rb") as lines:
        for line in lines:
            conn.request("POST", "/validate", body=line.rstrip(b"\n"),
                         headers={"Content-Type": "application/json"})
            answer = conn.getresponse()
            body = answer.read()
            sys.stdout.buffer.write(b"%d " % answer.status + body + b"\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
