/// One qmail log line: its time (from whichever stamp it carries), the syslog pid, which part of qmail wrote
/// it, and the message after all of that.
struct QmailLine {
    enum Tool { case send, tcpserver, rblsmtpd, chkuser, spamdyke, smtpd, other }

    var time: Double?
    var pid: Int?
    /// The line came from qmail or its helpers (a syslog tag of theirs, or no tag).
    var fromQmail: Bool
    var tool: Tool
    var message: ArraySlice<UInt8>
    /// Plesk's wrapper around qmail (`qmail-queue-handlers`, `qmail-remote-handlers`).
    var pleskHandler = false

    static func parse(_ line: ArraySlice<UInt8>, header: inout LogHeaderParser) -> QmailLine {
        let l = header.parse(line)
        var m = l.message
        var time = l.time
        let program = l.daemon
        let tagged = !l.program.isEmpty
        let fromQmail = !tagged || LogBytes.starts(program, "qmail") || LogBytes.equals(program, "tcpserver")
            || LogBytes.equals(program, "rblsmtpd") || LogBytes.equals(program, "splogger") || LogBytes.equals(program, "spamdyke")
        if let (t, rest) = stamp(m, clock: &header.clock) { time = t; m = rest }
        var tool = Tool.other
        if LogBytes.equals(program, "tcpserver") { tool = .tcpserver }
        else if LogBytes.equals(program, "rblsmtpd") { tool = .rblsmtpd }
        else if LogBytes.equals(program, "spamdyke") { tool = .spamdyke }
        if let r = LogBytes.after(m, "tcpserver: ") { tool = .tcpserver; m = r }
        else if let r = LogBytes.after(m, "rblsmtpd: ") { tool = .rblsmtpd; m = r }
        else if let r = LogBytes.after(m, "qmail-smtpd: ") { tool = .smtpd; m = r }
        if tool == .other {
            if LogBytes.starts(m, "CHKUSER ") { tool = .chkuser }
            else if LogBytes.starts(program, "qmail-smtpd") { tool = .smtpd }
            else if Self.isSendLine(m) { tool = .send }
        }
        // A bare line must look like qmail's; a tagged one is qmail's by its tag.
        return QmailLine(time: time, pid: l.pid, fromQmail: fromQmail, tool: tool, message: m,
                         pleskHandler: tagged && LogBytes.starts(program, "qmail-") && program.last == 0x73
                            && LogBytes.find(program, "-handlers") != nil)
    }

    /// qmail-send's own lines.
    static func isSendLine(_ m: ArraySlice<UInt8>) -> Bool {
        for p: StaticString in ["new msg ", "info msg ", "starting delivery ", "end msg ", "bounce msg ", "status: local ",
                                "triple bounce: "] where LogBytes.starts(m, p) { return true }
        if let r = LogBytes.after(m, "delivery "), let (_, rest) = QmailLogReader.number(r) {
            return LogBytes.starts(rest, ": success: ") || LogBytes.starts(rest, ": deferral: ") || LogBytes.starts(rest, ": failure: ")
        }
        return false
    }

    /// multilog's `@4000000063a1b2c31cebadcc ` (TAI64N), accustamp's and splogger's `1157520813.485077 `,
    /// tai64nlocal's `2023-01-01 12:00:00.123456789 ` (local time).
    static func stamp(_ m: ArraySlice<UInt8>, clock: inout LogClock) -> (Double, ArraySlice<UInt8>)? {
        guard let f = m.first else { return nil }
        if f == 0x40, m.count > 26, m[m.startIndex + 25] == Bytes.space {
            var seconds: UInt64 = 0, nanos: UInt64 = 0
            for (i, b) in m[(m.startIndex + 1)..<(m.startIndex + 25)].enumerated() {
                guard let v = hex(b) else { return nil }
                if i < 16 { seconds = seconds << 4 | v } else { nanos = nanos << 4 | v }
            }
            // TAI64 labels start at 2^62; daemontools' TAI runs 10 s ahead of Unix time.
            guard seconds >= 0x4000_0000_0000_000A, seconds < 0x4000_0001_0000_0000 else { return nil }
            let unix = Double(seconds - 0x4000_0000_0000_000A) + Double(nanos) / 1e9
            return (unix, m[(m.startIndex + 26)...])
        }
        if Bytes.isDigit(f) {
            let digits = m.prefix { Bytes.isDigit($0) }
            if digits.count >= 9, digits.count <= 10, digits.endIndex < m.endIndex, m[digits.endIndex] == 0x2E {
                let frac = m[(digits.endIndex + 1)...].prefix { Bytes.isDigit($0) }
                guard !frac.isEmpty, frac.endIndex < m.endIndex, m[frac.endIndex] == Bytes.space,
                      let s = Bytes.integer(digits) else { return nil }
                let fraction = Double(Bytes.integer(frac.prefix(9)) ?? 0) / pow10(min(frac.count, 9))
                return (Double(s) + fraction, m[(frac.endIndex + 1)...])
            }
            if m.count > 20, let (t, rest) = clock.iso(m, allowSpace: true), let s = rest.first, s == Bytes.space {
                return (t, rest.dropFirst())
            }
        }
        return nil
    }

    static func hex(_ b: UInt8) -> UInt64? {
        switch b {
        case 0x30...0x39: UInt64(b - 0x30)
        case 0x61...0x66: UInt64(b - 0x61 + 10)
        case 0x41...0x46: UInt64(b - 0x41 + 10)
        default: nil
        }
    }

    static func pow10(_ n: Int) -> Double {
        var p = 1.0
        for _ in 0..<n { p *= 10 }
        return p
    }
}
