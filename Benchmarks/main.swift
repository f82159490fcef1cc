// Per-component timings of the hot paths, so a regression shows where it happened:
//   swift run -c release Benchmarks [--mb N] [--rounds R] [COMPONENT ...]
// Components: line-split, postfix-scan, postfix-read, tcp-reassembly, reply-classify, explain, json.
// Inputs are generated in memory (no files), the same bytes every run; each component reports the best of
// R rounds. `scripts/bench` measures the whole tool against its peers; this measures its parts.
import Explainer
import Foundation
import TranscriptModel

struct Options {
    var megabytes = 32
    var rounds = 3
    var only: Set<String> = []

    init(_ args: [String]) {
        var i = 0
        while i < args.count {
            switch args[i] {
            case "--mb": i += 1; megabytes = max(1, Int(args[i]) ?? megabytes)
            case "--rounds": i += 1; rounds = max(1, Int(args[i]) ?? rounds)
            case "-h", "--help":
                print("Benchmarks [--mb N] [--rounds R] [line-split|postfix-scan|postfix-read|tcp-reassembly|reply-classify|explain|json ...]")
                exit(0)
            default: only.insert(args[i])
            }
            i += 1
        }
    }
}

/// Best wall time of `rounds` runs of `body`, which returns a count to keep the optimiser honest.
func best(_ rounds: Int, _ body: () -> Int) -> (seconds: Double, result: Int) {
    var bestTime = Double.infinity
    var result = 0
    for _ in 0..<rounds {
        let start = ContinuousClock.now
        result = body()
        let d = ContinuousClock.now - start
        let s = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        bestTime = min(bestTime, s)
    }
    return (bestTime, result)
}

func row(_ name: String, _ what: String, _ seconds: Double, megabytes: Double? = nil, items: Int? = nil, unit: String = "") {
    var rate = ""
    if let megabytes { rate = String(format: "%.1f MB/s", megabytes / seconds) }
    if let items { rate += (rate.isEmpty ? "" : ", ") + String(format: "%.0f %@/s", Double(items) / seconds, unit) }
    print("| \(name) | \(what) | \(String(format: "%.3f s", seconds)) | \(rate) |")
}

let options = Options(Array(CommandLine.arguments.dropFirst()))
func wanted(_ c: String) -> Bool { options.only.isEmpty || options.only.contains(c) }

// MARK: - Inputs

/// A Postfix log shaped like a busy MX: delivered mail, rejects at RCPT, lost connections, deferrals.
func postfixLog(megabytes: Int) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(megabytes << 20)
    var i = 0
    while out.count < megabytes << 20 {
        let pid = 10000 + i % 50000, ip = "198.51.\(i / 256 % 256).\(i % 256)"
        let q = String(format: "%05X%05X", i / 0x100000, i % 0x100000)
        let t = String(format: "Nov 29 %02d:%02d:%02d mx1", i / 3600 % 24, i / 60 % 60, i % 60)
        var block = "\(t) postfix/smtpd[\(pid)]: connect from host\(i).example.net[\(ip)]\n"
        switch i % 4 {
        case 0:
            block += """
            \(t) postfix/smtpd[\(pid)]: Anonymous TLS connection established from host\(i).example.net[\(ip)]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)
            \(t) postfix/smtpd[\(pid)]: \(q): client=host\(i).example.net[\(ip)]
            \(t) postfix/cleanup[\(pid + 1)]: \(q): message-id=<\(i)@example.net>
            \(t) postfix/qmgr[880]: \(q): from=<user\(i)@example.net>, size=\(1000 + i % 9000), nrcpt=1 (queue active)
            \(t) postfix/smtpd[\(pid)]: disconnect from host\(i).example.net[\(ip)] ehlo=2 starttls=1 mail=1 rcpt=1 data=1 quit=1 commands=7
            \(t) postfix/local[\(pid + 2)]: \(q): to=<bob@example.com>, relay=local, delay=0.31, delays=0.2/0.01/0/0.1, dsn=2.0.0, status=sent (delivered to mailbox)
            \(t) postfix/qmgr[880]: \(q): removed

            """
        case 1:
            block += """
            \(t) postfix/smtpd[\(pid)]: NOQUEUE: reject: RCPT from host\(i).example.net[\(ip)]: 550 5.1.1 <nobody\(i)@example.com>: Recipient address rejected: User unknown in local recipient table; from=<a@example.net> to=<nobody\(i)@example.com> proto=ESMTP helo=<host\(i).example.net>
            \(t) postfix/smtpd[\(pid)]: disconnect from host\(i).example.net[\(ip)] ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4

            """
        case 2:
            block += """
            \(t) postfix/smtpd[\(pid)]: NOQUEUE: reject: RCPT from host\(i).example.net[\(ip)]: 554 5.7.1 Service unavailable; Client host [\(ip)] blocked using zen.spamhaus.org; from=<x@example.net> to=<bob@example.com> proto=ESMTP helo=<host\(i).example.net>
            \(t) postfix/smtpd[\(pid)]: disconnect from host\(i).example.net[\(ip)] ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4

            """
        default:
            block += """
            \(t) postfix/smtpd[\(pid)]: lost connection after MAIL from host\(i).example.net[\(ip)]
            \(t) postfix/smtpd[\(pid)]: disconnect from host\(i).example.net[\(ip)] ehlo=1 mail=1 commands=2

            """
        }
        out.append(contentsOf: block.utf8)
        i += 1
    }
    return out
}

func lines(of bytes: [UInt8]) -> [ArraySlice<UInt8>] {
    var out: [ArraySlice<UInt8>] = []
    var splitter = LineSplitter(maxLine: 1 << 20)
    splitter.push(bytes) { line, _ in out.append(line) }
    return out
}

// MARK: - Components

print("Benchmarks, \(options.megabytes) MB inputs, best of \(options.rounds) rounds, \(Date())")
print("")
print("| component | work | time | rate |")
print("|---|---|---|---|")

let log = postfixLog(megabytes: options.megabytes)
let logMB = Double(log.count) / 1e6

if wanted("line-split") {
    let r = best(options.rounds) {
        var n = 0
        var splitter = LineSplitter(maxLine: 1 << 20)
        var offset = 0
        // 1 MiB chunks, as the file reader hands them over.
        while offset < log.count {
            let end = min(log.count, offset + (1 << 20))
            splitter.push(Array(log[offset..<end])) { _, _ in n += 1 }
            offset = end
        }
        splitter.finish { _, _ in n += 1 }
        return n
    }
    row("line-split", "\(r.result) lines", r.seconds, megabytes: logMB, items: r.result, unit: "lines")
}

// The reader's serial part when the CLI explains in a pipeline: sessions are decided but left as
// placeholders, built later on the worker threads (`InputOptions.deferBuilding`).
if wanted("postfix-scan") {
    let all = lines(of: log)
    let r = best(options.rounds) {
        var reader = PostfixLogReader(input: "bench.log")
        reader.deferBuilding()
        var n = 0
        for (k, line) in all.enumerated() { reader.read(line: line, number: k + 1) { _ in n += 1 } }
        reader.finish(emit: { _ in n += 1 })
        return n
    }
    row("postfix-scan", "\(all.count) lines -> \(r.result) placeholders", r.seconds, megabytes: logMB, items: r.result, unit: "sessions")
}

var sessions: [Session] = []
if wanted("postfix-read") || wanted("explain") || wanted("json") {
    let all = lines(of: log)
    let r = best(options.rounds) {
        var reader = PostfixLogReader(input: "bench.log")
        var collected: [Session] = []
        for (n, line) in all.enumerated() { reader.read(line: line, number: n + 1) { collected.append($0) } }
        reader.finish(emit: { collected.append($0) })
        sessions = collected
        return collected.count
    }
    if wanted("postfix-read") {
        row("postfix-read", "\(all.count) lines -> \(r.result) sessions", r.seconds, megabytes: logMB, items: r.result, unit: "sessions")
    }
}

if wanted("tcp-reassembly") {
    // One direction of a DATA transfer: 1460-byte segments, every 16th held back a segment (out of
    // order) and every 32nd sent twice (retransmission).
    let total = options.megabytes << 20
    let payload = [UInt8](repeating: 0x61, count: 1460)
    let r = best(options.rounds) {
        var stream = TCPStream()
        stream.syn(isn: 1000)
        var delivered = 0
        let deliver: (StreamEvent) -> Void = { if case .data(let b, _, _) = $0 { delivered += b.count } }
        payload.withUnsafeBytes { p in
            var seq: UInt32 = 1001, packet = 0, held: UInt32? = nil
            var sent = 0
            while sent < total {
                packet += 1
                if packet % 16 == 0 && held == nil { held = seq }
                else {
                    stream.segment(seq: seq, payload: p, declaredLength: p.count, fin: false, packet: packet, time: 0, deliver: deliver)
                    if packet % 32 == 0 {
                        stream.segment(seq: seq, payload: p, declaredLength: p.count, fin: false, packet: packet, time: 0, deliver: deliver)
                    }
                    if let h = held, seq &- h >= 1460 * 2 {
                        stream.segment(seq: h, payload: p, declaredLength: p.count, fin: false, packet: packet, time: 0, deliver: deliver)
                        held = nil
                    }
                }
                seq &+= 1460
                sent += 1460
            }
            if let h = held { stream.segment(seq: h, payload: p, declaredLength: p.count, fin: false, packet: packet, time: 0, deliver: deliver) }
            stream.flush(packet: packet, time: 0, deliver: deliver)
        }
        return delivered
    }
    row("tcp-reassembly", "\(r.result >> 20) MiB delivered", r.seconds, megabytes: Double(total) / 1e6)
}

if wanted("reply-classify") {
    let replies: [(Int, String?, String, String)] = [
        (550, "5.1.1", "<bob@example.com>: Recipient address rejected: User unknown in local recipient table", "RCPT"),
        (554, "5.7.1", "Service unavailable; Client host [203.0.113.9] blocked using zen.spamhaus.org", "RCPT"),
        (450, "4.2.0", "<erin@example.test>: Recipient address rejected: Greylisted, see https://postgrey.example.test/", "RCPT"),
        (550, "5.7.26", "This mail has been blocked because the sender is unauthenticated. Gmail requires all senders to authenticate with either SPF or DKIM.", "."),
        (421, "4.7.0", "[192.0.2.1] Our system has detected an unusual rate of unsolicited mail originating from your IP address.", "."),
        (550, "5.7.606", "Access denied, banned sending IP [192.0.2.1]. To request removal from this list please visit https://sender.office.com/", "RCPT"),
        (552, "5.3.4", "Message size exceeds fixed limit", "."),
        (530, "5.7.0", "Must issue a STARTTLS command first", "MAIL"),
        (535, "5.7.8", "Error: authentication failed: authentication failure", "AUTH"),
        (250, "2.0.0", "Ok: queued as 4F2A11C0A3", "."),
    ]
    let n = 20_000 * options.megabytes / 32 + 1000
    // Every text distinct, as in a log (queue ids, addresses): classifications are memoized per query, and
    // the same ten texts would only time the memo.
    // A set per round, so no round finds the one before it in the memo.
    let sets = (0..<options.rounds).map { round in
        (0..<n).map { i in
            let x = replies[i % replies.count]
            return ReplyQuery(code: x.0, enhanced: x.1, text: x.2 + " (id \(round)-\(i))", command: x.3)
        }
    }
    var round = 0
    let r = best(options.rounds) {
        var k = 0
        for q in sets[round % sets.count] { k &+= ReplyKnowledge.classify(q).ruleID.utf8.count }
        round += 1
        return k
    }
    row("reply-classify", "\(n) distinct replies", r.seconds, items: n, unit: "replies")
}

var explained: [ExplainedSession] = []
if wanted("explain") || wanted("json") {
    let explainer = Explainer()
    let r = best(options.rounds) {
        explained = sessions.map(explainer.explain)
        return explained.count
    }
    if wanted("explain") { row("explain", "\(r.result) sessions", r.seconds, items: r.result, unit: "sessions") }
}

if wanted("json") {
    var bytes = 0
    let r = best(options.rounds) {
        bytes = 0
        for x in explained { bytes += JSONRenderer.lineBytes(x).count }
        return explained.count
    }
    row("json", "\(r.result) sessions, \(bytes >> 20) MiB out", r.seconds, megabytes: Double(bytes) / 1e6, items: r.result, unit: "sessions")
}
