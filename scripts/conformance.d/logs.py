#!/usr/bin/env python3
"""MTA log section of the conformance run (issue 4).

Usage: scripts/conformance.d/logs.py [BINARY] [-v]

Binary:  BINARY, else $SMTPEXPLAIN, else .build/debug/smtpexplain, else .build/release/smtpexplain
Corpus:  $SHARED_CORPUS (the shared corpus root), else ../shared/corpus relative to the repository root.

1. real-mta: every scenario's `server.log` and `swaks-server.log` (non-empty ones; a refused connection logs
   nothing) is run with `--format json`; the inbound session must have the outcome and failedStage of
   expected.tsv. Misses fail the run.
2. samples/logs: every file must give the sessions in samples/logs/expected.tsv (format, direction, outcome,
   failedStage, in order). Misses fail the run.
3. corpus/logs: every log of the public corpus (unwrapped from the test-harness formats it was published in:
   fail2ban comments, grok YAML, Wazuh ini, sshguard triples, Postfix smtpd_check transcripts) is run with
   `--verbose`; the `log-stats:` line the binary prints gives, per source, how many SMTP-related lines were
   understood. Report only.
Exit status: 0 all right, 1 misses in 1 or 2, 2 binary missing. A missing corpus is reported, exit 0.
"""

import glob
import gzip
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
TIMEOUT = 120
VERBOSE = "-v" in sys.argv


def corpus_root():
    env = os.environ.get("SHARED_CORPUS")
    if env:
        path = os.path.abspath(env)
        if os.path.basename(path) == "real-mta":
            return os.path.dirname(path)
        return path
    return os.path.normpath(os.path.join(REPO, "..", "shared", "corpus"))


def find_binary():
    args = [a for a in sys.argv[1:] if a != "-v"]
    if args:
        return args[0] if os.access(args[0], os.X_OK) else None
    env = os.environ.get("SMTPEXPLAIN")
    if env:
        return env if os.access(env, os.X_OK) else None
    for candidate in (".build/debug/smtpexplain", ".build/release/smtpexplain"):
        path = os.path.join(REPO, candidate)
        if os.access(path, os.X_OK):
            return path
    return None


def run(binary, path, *extra):
    proc = subprocess.run([binary, "--format", "json", *extra, path], capture_output=True, timeout=TIMEOUT)
    sessions = []
    try:
        sessions = json.loads(proc.stdout.decode("utf-8", "replace") or "{}").get("sessions", [])
    except ValueError:
        pass
    return sessions, proc.stderr.decode("utf-8", "replace"), proc.returncode


def stage(v):
    return "none" if v in (None, "") else v


def check_real_mta(binary, root):
    expected = os.path.join(root, "real-mta", "expected.tsv")
    if not os.path.exists(expected):
        print("real-mta corpus not found: skipped")
        return 0, 0
    right = total = 0
    for line in open(expected, encoding="utf-8"):
        if line.startswith("#") or not line.strip():
            continue
        cols = line.rstrip("\n").split("\t")
        scenario, outcomes, stages = cols[0], set(cols[1].split("|")), set(cols[2].split("|"))
        for name in ("server.log", "swaks-server.log"):
            path = os.path.join(root, "real-mta", scenario, name)
            if not os.path.exists(path) or os.path.getsize(path) == 0:
                continue
            total += 1
            sessions, err, _ = run(binary, path)
            inbound = [s for s in sessions if s.get("direction") == "inbound"] or sessions
            if not inbound:
                print("   MISS real-mta/%s/%s: no session (%s)" % (scenario, name, err.strip()[:200]))
                continue
            s = inbound[0]
            if s.get("outcome") in outcomes and stage(s.get("failedStage")) in stages:
                right += 1
            else:
                print("   MISS real-mta/%s/%s: got %s/%s, want %s/%s" % (scenario, name, s.get("outcome"),
                      stage(s.get("failedStage")), cols[1], cols[2]))
    print("real-mta server logs: %d/%d right" % (right, total))
    return right, total


def check_samples(binary):
    folder = os.path.join(REPO, "samples", "logs")
    expected = os.path.join(folder, "expected.tsv")
    if not os.path.exists(expected):
        return 0, 0
    want = {}
    for line in open(expected, encoding="utf-8"):
        if line.startswith("#") or not line.strip():
            continue
        cols = line.rstrip("\n").split("\t")
        want.setdefault(cols[0], []).append(tuple(cols[1:5]))
    right = 0
    for name, rows in sorted(want.items()):
        sessions, err, _ = run(binary, os.path.join(folder, name))
        got = [(s.get("format"), s.get("direction") or "-", s.get("outcome"), stage(s.get("failedStage"))) for s in sessions]
        if got == rows:
            right += 1
        else:
            print("   MISS samples/logs/%s: got %s, want %s" % (name, got, rows))
    print("samples/logs: %d/%d files right" % (right, len(want)))
    return right, len(want)


# --- corpus/logs: unwrap the harness formats ---------------------------------------------------------

def read_text(path):
    with open(path, "rb") as f:
        data = f.read()
    if path.endswith(".gz"):
        data = gzip.decompress(data)
    return data.decode("utf-8", "replace")


def corpus_files(logs):
    out = []  # (source, label, lines)
    for name in ("postfix", "exim", "exim-spam", "sendmail-auth", "sendmail-reject"):
        p = os.path.join(logs, "fail2ban", name)
        if os.path.exists(p):
            out.append(("fail2ban", p, [l for l in read_text(p).splitlines() if l.strip() and not l.startswith("#")]))
    grok = []
    for p in sorted(glob.glob(os.path.join(logs, "postfix-grok-patterns", "test", "*.yaml"))):
        prefix = re.sub(r"_0\d+\.yaml$", "", os.path.basename(p))
        if prefix in ("command_counter_data", "delays", "tls_features"):
            continue  # fragments of a line, not lines
        daemon = {"trivial_rewrite": "trivial-rewrite", "script": "postfix-script"}.get(prefix, prefix)
        for l in read_text(p).splitlines():
            if l.startswith("data:"):
                v = l[5:].strip()
                if v.startswith('"') and v.endswith('"'):
                    v = v[1:-1].replace('\\"', '"').replace("\\\\", "\\")
                elif v.startswith("'") and v.endswith("'"):
                    v = v[1:-1].replace("''", "'")
                grok.append("Jan  1 00:00:00 mail postfix/%s[1%d]: %s" % (daemon, len(grok), v))
                break
    out.append(("postfix-grok-patterns", "postfix-grok-patterns/test/*.yaml", grok))
    for p in sorted(glob.glob(os.path.join(logs, "lightmeter-controlcenter", "**", "*"), recursive=True)):
        if os.path.isfile(p):
            out.append(("lightmeter-controlcenter", p, read_text(p).splitlines()))
    for p in sorted(glob.glob(os.path.join(logs, "exim-testsuite", "test", "*", "*"))):
        out.append(("exim-testsuite", p, read_text(p).splitlines()))
    for p in sorted(glob.glob(os.path.join(logs, "crowdsec-hub", "*", "*.log"))):
        if "exchange-smtp" not in p:
            out.append(("crowdsec-hub", p, read_text(p).splitlines()))
    for rel in ("wazuh-ruleset/0025-sendmail.ini", "wazuh-ruleset/0030-postfix.ini", "wazuh-ruleset/0325-opensmtpd.ini",
                "wazuh-ruleset/0515-exim.ini", "wazuh/ruleset/testing/tests/exim.ini"):
        p = os.path.join(logs, rel)
        if os.path.exists(p):
            lines = [l.split(" = ", 1)[1] for l in read_text(p).splitlines() if l.startswith("log ") and " = " in l]
            out.append((rel.split("/")[0], p, lines))
    p = os.path.join(logs, "sshguard", "src", "parser", "tests.txt")
    if os.path.exists(p):
        section, by = "", {}
        for l in read_text(p).splitlines():
            if l.startswith("# "):
                if "{{{" in l:
                    section = l[2:].split(" {{{")[0].lower()
                continue
            if section not in ("exim", "sendmail", "postfix", "opensmtpd") or l in ("M", "") or l.startswith("*"):
                continue
            parts = l.split(" ")
            if len(parts) == 4 and parts[0].isdigit():
                continue
            by.setdefault(section, []).append(l)
        for k in sorted(by):
            out.append(("sshguard", p + "#" + k, by[k]))
    for p in sorted(glob.glob(os.path.join(logs, "postfix-source", "**", "*.ref*"), recursive=True)):
        lines = ["Jan  1 00:00:00 mail postfix/smtpd[1]: " + l[15:].replace("<queue id>: ", "NOQUEUE: ")
                 for l in read_text(p).splitlines() if l.startswith("./smtpd_check: ")]
        out.append(("postfix-source", p, lines))
    p = os.path.join(logs, "fluent-plugin-sendmail", "test", "data", "data")
    if os.path.exists(p):
        out.append(("fluent-plugin-sendmail", p, read_text(p).splitlines()))
    p = os.path.join(logs, "elastic-integrations", "microsoft_exchange_server", "test-messagetracking.log")
    if os.path.exists(p):
        out.append(("elastic-integrations", p, read_text(p).splitlines()))
    return out


STATS = re.compile(r"^log-stats: .* lines=(\d+) understood=(\d+) ignored=(\d+) unrecognised=(\d+) sessions=(\d+)", re.M)


def check_corpus(binary, root):
    logs = os.path.join(root, "logs")
    if not os.path.isdir(logs):
        print("corpus/logs not found: skipped")
        return
    per = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i, (source, label, lines) in enumerate(corpus_files(logs)):
            if not any(l.strip() for l in lines):
                continue
            path = os.path.join(tmp, "%04d.log" % i)
            with open(path, "w", encoding="utf-8") as f:
                f.write("\n".join(lines) + "\n")
            sessions, err, _ = run(binary, path, "--verbose")
            m = STATS.search(err)
            s = per.setdefault(source, [0, 0, 0, 0])
            if not m:
                # Not read by a log reader (a file of only dovecot/opendkim lines): nothing SMTP-related.
                s[2] += len([l for l in lines if l.strip()])
                continue
            s[0] += int(m.group(2))
            s[1] += int(m.group(4))
            s[2] += int(m.group(3))
            s[3] += len(sessions)
            if VERBOSE:
                for miss in re.findall(r"^  not understood, line (\d+): (.*)$", err, re.M):
                    print("   %s:%s %s" % (label, miss[0], miss[1][:160]))
    tu = tt = 0
    for source in sorted(per):
        u, n, other, sessions = per[source]
        tu += u
        tt += u + n
        print("corpus/logs %-26s understood %5d/%-5d SMTP-related lines (%d other lines, %d sessions)"
              % (source, u, u + n, other, sessions))
    print("corpus/logs total: understood %d/%d SMTP-related lines" % (tu, tt))


def main():
    binary = find_binary()
    if not binary:
        print("logs: smtpexplain binary not found (build it first)")
        return 2
    root = corpus_root()
    r1, t1 = check_real_mta(binary, root)
    r2, t2 = check_samples(binary)
    check_corpus(binary, root)
    return 0 if r1 == t1 and r2 == t2 else 1


if __name__ == "__main__":
    sys.exit(main())
