#!/usr/bin/env python3
"""Knowledge-base section of the conformance run (issue 6): every row of the shared corpus's
bounces/sisimai-reasons.tsv goes through `smtpexplain reply --format jsonl` (one text per line; the
command the text names, as in "in reply to RCPT TO", is read by the tool) and the reason is compared
with the peer's (our own extra reasons are compared through `peerReason`).

Rows whose text ends in the peer's own test-server URL naming a reason are left out of the score
(the corpus MANIFEST's caveat). Targets: >= 85% overall, >= 75% for every reason with 20+ rows.
Disagreements are written to .build/conformance-bounces-disagreements.tsv. Exit 1 when a target is
missed, 0 otherwise (also when the corpus is absent).
"""
import collections
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
corpus = os.environ.get("SHARED_CORPUS") or os.path.normpath(os.path.join(REPO, "..", "shared", "corpus"))
tsv = os.path.join(corpus, "bounces", "sisimai-reasons.tsv")
binary = os.environ.get("SMTPEXPLAIN") or os.path.join(REPO, ".build", "debug", "smtpexplain")
if not os.path.isfile(tsv):
    print("   skipped: no %s" % tsv)
    sys.exit(0)

rows = []
with open(tsv, encoding="utf-8") as f:
    header = f.readline().rstrip("\n").split("\t")
    for line in f:
        cols = line.rstrip("\n").split("\t")
        if len(cols) < 6:
            continue
        row = dict(zip(header, cols))
        row["excluded"] = "libsisimai.org/en/reason/" in row["diagnostic_text"]
        rows.append(row)

texts = "".join(r["diagnostic_text"].replace("\r", " ") + "\n" for r in rows)
proc = subprocess.run([binary, "reply", "--format", "jsonl"], input=texts.encode(), capture_output=True, timeout=120)
out = [json.loads(l) for l in proc.stdout.decode().splitlines() if l.strip()]
if proc.returncode != 0 or len(out) != len(rows):
    print("   reply classifier failed: exit %d, %d results for %d rows" % (proc.returncode, len(out), len(rows)))
    sys.exit(1)

per = collections.defaultdict(lambda: [0, 0])
right = total = 0
dis = []
for r, o in zip(rows, out):
    if r["excluded"]:
        continue
    got = o.get("peerReason") or o.get("reason")
    ok = got == r["reason"]
    total += 1
    right += ok
    per[r["reason"]][0] += ok
    per[r["reason"]][1] += 1
    if not ok:
        dis.append("\t".join([r["sample_id"], r["reason"], got or "-", o.get("rule") or "-", r["diagnostic_text"][:300]]))

os.makedirs(os.path.join(REPO, ".build"), exist_ok=True)
with open(os.path.join(REPO, ".build", "conformance-bounces-disagreements.tsv"), "w", encoding="utf-8") as f:
    f.write("sample_id\texpected\tgot\trule\ttext\n" + "\n".join(dis) + "\n")

overall = right / total if total else 1
print("   %d/%d bounce reasons right (%.1f%%; %d rows left out: peer test-server URL)"
      % (right, total, overall * 100, sum(r["excluded"] for r in rows)))
failed = overall < 0.85
for reason, (ok, n) in sorted(per.items(), key=lambda kv: -kv[1][1]):
    if n >= 20:
        share = ok / n
        mark = "" if share >= 0.75 else "  BELOW 75%"
        failed = failed or share < 0.75
        print("   %-16s %3d/%3d %5.1f%%%s" % (reason, ok, n, share * 100, mark))
print("   disagreements: .build/conformance-bounces-disagreements.tsv")
sys.exit(1 if failed else 0)
