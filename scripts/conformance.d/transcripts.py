#!/usr/bin/env python3
"""Transcript dialects section of the conformance run (issue 3).

Usage: scripts/conformance.d/transcripts.py [-v]

Binary:  $SMTPEXPLAIN, else .build/debug/smtpexplain, else .build/release/smtpexplain
Corpus:  $SHARED_CORPUS (the shared corpus root), else ../shared/corpus relative to the repository root.

Runs the binary with `--format json` over every file listed in transcripts-expected.tsv (beside this script:
path relative to the corpus root, format, outcome, failedStage; `|` separates accepted values) and compares
the FIRST session's `format`, `outcome` and `failedStage` (JSON null = `none`). Files of the corpus's
transcripts/ folder without a row are reported as notes. Prints each miss and `N/M transcripts right`.
Exit status: 0 when all are right, 1 when some are wrong, 2 when the binary is missing; a missing corpus is
reported and exits 0 (nothing to check).
"""

import glob
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
TIMEOUT = 60


def corpus_root():
    env = os.environ.get("SHARED_CORPUS")
    if env:
        path = os.path.abspath(env)
        if os.path.basename(path) == "real-mta":
            return os.path.dirname(path)
        return path
    return os.path.normpath(os.path.join(REPO, "..", "shared", "corpus"))


def find_binary():
    env = os.environ.get("SMTPEXPLAIN")
    if env:
        return env if os.access(env, os.X_OK) else None
    for candidate in (".build/debug/smtpexplain", ".build/release/smtpexplain"):
        path = os.path.join(REPO, candidate)
        if os.access(path, os.X_OK):
            return path
    return None


def words(field):
    return {w.strip() for w in field.split("|") if w.strip()}


def load(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.rstrip("\r\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            cols = line.split("\t")
            if len(cols) < 4:
                raise ValueError("%s:%d: expected 4 tab-separated columns" % (path, number))
            rows.append((cols[0].strip(), words(cols[1]), words(cols[2]), words(cols[3])))
    return rows


def first_session(binary, path):
    try:
        proc = subprocess.run([binary, "--format", "json", path], capture_output=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return None, "no answer within %ds" % TIMEOUT
    except OSError as e:
        return None, "cannot run %s: %s" % (binary, e)
    if proc.returncode not in (0, 1):
        err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        return None, "exit status %d%s" % (proc.returncode, " (%s)" % err[0] if err else "")
    try:
        doc = json.loads(proc.stdout.decode("utf-8"))
        return doc["sessions"][0], None
    except (ValueError, KeyError, IndexError, TypeError) as e:
        return None, "no session in the output (%s)" % e


def main(argv):
    verbose = "-v" in argv
    corpus = corpus_root()
    if not os.path.isdir(os.path.join(corpus, "transcripts")):
        print("== transcripts: skipped, no shared corpus at %s (set SHARED_CORPUS)" % corpus)
        return 0
    binary = find_binary()
    if not binary:
        print("transcripts: no smtpexplain binary (set SMTPEXPLAIN or run `swift build`)", file=sys.stderr)
        return 2
    rows = load(os.path.join(HERE, "transcripts-expected.tsv"))
    print("== transcripts")
    listed = {r[0] for r in rows}
    for path in sorted(glob.glob(os.path.join(corpus, "transcripts", "*", "*.txt"))):
        rel = os.path.relpath(path, corpus)
        if rel not in listed:
            print("   note: %s has no row in transcripts-expected.tsv" % rel)
    right = 0
    for rel, formats, outcomes, stages in rows:
        path = os.path.join(corpus, rel)
        if not os.path.isfile(path):
            print("   MISS %s: file not found" % rel)
            continue
        session, problem = first_session(binary, path)
        problems = [problem] if problem else []
        if session is not None:
            fmt = session.get("format")
            outcome = session.get("outcome")
            stage = session.get("failedStage") or "none"
            if fmt not in formats:
                problems.append("format %s, expected %s" % (fmt, "|".join(sorted(formats))))
            if outcome not in outcomes:
                problems.append("outcome %s, expected %s" % (outcome, "|".join(sorted(outcomes))))
            if stage not in stages:
                problems.append("failedStage %s, expected %s" % (stage, "|".join(sorted(stages))))
        if problems:
            print("   MISS %s: %s" % (rel, "; ".join(problems)))
        else:
            right += 1
            if verbose:
                print("   ok   %s" % rel)
    print("   %d/%d transcripts right" % (right, len(rows)))
    return 0 if right == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
