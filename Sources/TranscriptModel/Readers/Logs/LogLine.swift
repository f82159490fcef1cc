#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One log line split into its header (time, host, program tag, pid) and the message.
/// Slices point into the line (or, for a journal JSON record, into the decoded `MESSAGE`).
struct LogLine {
    var time: Double?
    var host: ArraySlice<UInt8> = []
    /// The syslog tag without the pid: `postfix/submission/smtpd`, `sm-mta`, `exim`, `smtpd`.
    var program: ArraySlice<UInt8> = []
    var pid: Int?
    var message: ArraySlice<UInt8>

    /// Last path component of the tag (`smtpd` for `postfix/submission/smtpd`).
    var daemon: ArraySlice<UInt8> {
        if let slash = program.lastIndex(of: 0x2F) { return program[(slash + 1)...] }
        return program
    }
}

/// Parses log headers: BSD syslog (`Jan 28 06:40:37 host prog[pid]: `, optionally `<PRI>` or a
/// `<facility.level>` token), RFC 3339 syslog and `journalctl -o short-iso` (`2024-08-26T01:33:38.57+00:00 host
/// prog[pid]: `), RFC 5424 (`<22>1 2024-08-26T01:33:38Z host prog pid - - `), `journalctl -o short-unix` and `-o short-full`, and
/// `journalctl -o json` records. A line with none of these is a bare message (program
/// unknown). Times without a zone are local time; BSD syslog has no year (see `LogClock`).
struct LogHeaderParser {
    var clock = LogClock()

    mutating func parse(_ line: ArraySlice<UInt8>) -> LogLine {
        var s = line
        if let f = s.first, f == 0x7B /* { */ {
            if let j = JournalJSON.parse(s, clock: &clock) { return j }
            return LogLine(message: s)
        }
        // <PRI>
        if let f = s.first, f == 0x3C, let close = s.prefix(6).firstIndex(of: 0x3E),
           close > s.startIndex + 1, s[(s.startIndex + 1)..<close].allSatisfy(Bytes.isDigit) {
            s = s[(close + 1)...]
            if let l = rfc5424(s) { return l }
        }
        var time: Double?
        if let (t, rest) = clock.bsd(s) {
            time = t; s = rest
        } else if let (t, rest) = clock.iso(s) {
            time = t; s = rest
        } else if let (t, rest) = LogClock.unix(s) {
            time = t; s = rest
        } else if let (t, rest) = clock.full(s) {
            time = t; s = rest
        } else {
            return LogLine(message: line)
        }
        guard let f = s.first, f == Bytes.space else { return LogLine(time: time, message: s) }
        s = s.dropFirst()
        while let f = s.first, f == Bytes.space { s = s.dropFirst() }
        // `<mail.notice>` token some syslog daemons add.
        if let f = s.first, f == 0x3C, let close = s.prefix(40).firstIndex(of: 0x3E) {
            s = s[(close + 1)...]
            while let f = s.first, f == Bytes.space { s = s.dropFirst() }
        }
        guard let hostEnd = s.firstIndex(of: Bytes.space) else { return LogLine(time: time, message: s) }
        let host = s[s.startIndex..<hostEnd]
        var rest = s[(hostEnd + 1)...]
        // Tag: printable run up to ':' or '[' (max 64 bytes), then optional [pid], then ':'.
        var i = rest.startIndex
        let limit = min(rest.endIndex, rest.startIndex + 96)
        while i < limit, rest[i] != 0x3A, rest[i] != 0x5B, rest[i] != Bytes.space { i += 1 }
        guard i < limit else { return LogLine(time: time, host: host, message: rest) }
        let program = rest[rest.startIndex..<i]
        var pid: Int?
        if rest[i] == 0x5B {
            var j = i + 1
            var v = 0
            while j < rest.endIndex, Bytes.isDigit(rest[j]), v < 1 << 40 { v = v * 10 + Int(rest[j] - 0x30); j += 1 }
            guard j < rest.endIndex, rest[j] == 0x5D else { return LogLine(time: time, host: host, message: rest) }
            pid = v
            i = j + 1
        }
        guard i < rest.endIndex, rest[i] == 0x3A else { return LogLine(time: time, host: host, message: rest) }
        rest = rest[(i + 1)...]
        if let f = rest.first, f == Bytes.space { rest = rest.dropFirst() }
        return LogLine(time: time, host: host, program: program, pid: pid, message: rest)
    }
}

extension LogHeaderParser {
    /// RFC 5424 after its `<PRI>`: `1 2026-12-07T10:00:00.123Z mx1 postfix/smtpd 4711 - - message`
    /// (rsyslog's `RSYSLOG_SyslogProtocol23Format`, syslog-ng's `syslog()` destination, many collectors):
    /// version, time, host, app, process id, message id, structured data (`-` or `[id k="v"]…`), message.
    mutating func rfc5424(_ s0: ArraySlice<UInt8>) -> LogLine? {
        guard s0.count > 2, s0[s0.startIndex] == 0x31, s0[s0.startIndex + 1] == Bytes.space else { return nil }
        var s = s0.dropFirst(2)
        var time: Double?
        if let (t, rest) = clock.iso(s) { time = t; s = rest }
        else if let f = s.first, f == 0x2D { s = s.dropFirst() }
        else { return nil }
        func field() -> ArraySlice<UInt8>? {
            guard let f = s.first, f == Bytes.space else { return nil }
            s = s.dropFirst()
            let end = s.firstIndex(of: Bytes.space) ?? s.endIndex
            defer { s = s[end...] }
            return s[s.startIndex..<end]
        }
        guard let host = field(), let app = field(), let proc = field(), field() != nil,
              let f = s.first, f == Bytes.space else { return nil }
        s = s.dropFirst()
        // Structured data: `-`, or bracketed elements whose quoted values may escape `]` and `"`.
        if let f = s.first, f == 0x2D {
            s = s.dropFirst()
        } else {
            while let f = s.first, f == 0x5B {
                var i = s.startIndex + 1
                var quoted = false
                while i < s.endIndex {
                    let c = s[i]
                    if c == 0x5C, quoted { i += 2; continue }
                    if c == 0x22 { quoted.toggle() } else if c == 0x5D, !quoted { break }
                    i += 1
                }
                guard i < s.endIndex else { return nil }
                s = s[(i + 1)...]
            }
        }
        if let f = s.first, f == Bytes.space { s = s.dropFirst() }
        // The message may start with a UTF-8 byte order mark.
        if s.count >= 3, s[s.startIndex] == 0xEF, s[s.startIndex + 1] == 0xBB, s[s.startIndex + 2] == 0xBF { s = s.dropFirst(3) }
        let nil5424: ArraySlice<UInt8> = [0x2D]
        return LogLine(time: time, host: host == nil5424 ? [] : host, program: app == nil5424 ? [] : app,
                       pid: proc.count <= 12 && proc.allSatisfy(Bytes.isDigit) ? Bytes.integer(proc) : nil, message: s)
    }
}

/// Turns log timestamps into Unix time. BSD syslog lines carry no year: the current year is assumed, or the
/// previous one when that would put the line more than a day in the future (a log read in January that
/// ends in December). `SMTPEXPLAIN_LOG_YEAR` overrides the year. Zone-less times are local time.
struct LogClock {
    let year: Int
    let nowYear: Int
    let now: Double
    let forcedYear: Bool
    private var cachedHourKey = Int.min
    private var cachedOffset = 0

    init() {
        var t = time(nil)
        var tmv = tm()
        localtime_r(&t, &tmv)
        nowYear = Int(tmv.tm_year) + 1900
        now = Double(t)
        if let env = getenv("SMTPEXPLAIN_LOG_YEAR"), let y = Int(String(cString: env)), y > 1969, y < 3000 {
            year = y
            forcedYear = true
        } else {
            year = nowYear
            forcedYear = false
        }
    }

    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (m + 9) % 12
        let doy = (153 * mp + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    static func utc(_ y: Int, _ mo: Int, _ d: Int, _ h: Int, _ mi: Int, _ s: Int) -> Int {
        daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s
    }

    /// Local wall time to Unix time (offset cached per hour).
    mutating func local(_ y: Int, _ mo: Int, _ d: Int, _ h: Int, _ mi: Int, _ s: Int) -> Double {
        let guess = Self.utc(y, mo, d, h, mi, s)
        let key = guess / 3600
        if key != cachedHourKey {
            var t = time_t(guess)
            var tmv = tm()
            localtime_r(&t, &tmv)
            cachedOffset = Int(tmv.tm_gmtoff)
            cachedHourKey = key
        }
        return Double(guess - cachedOffset)
    }

    @inline(__always)
    static func two(_ s: ArraySlice<UInt8>, _ i: Int) -> Int? {
        let a = s[i], b = s[i + 1]
        guard Bytes.isDigit(b) else { return nil }
        if a == Bytes.space { return Int(b - 0x30) }
        guard Bytes.isDigit(a) else { return nil }
        return Int(a - 0x30) * 10 + Int(b - 0x30)
    }

    static func month(_ a: UInt8, _ b: UInt8, _ c: UInt8) -> Int? {
        switch (a | 0x20, b | 0x20, c | 0x20) {
        case (0x6A, 0x61, 0x6E): return 1   // jan
        case (0x66, 0x65, 0x62): return 2
        case (0x6D, 0x61, 0x72): return 3
        case (0x61, 0x70, 0x72): return 4
        case (0x6D, 0x61, 0x79): return 5
        case (0x6A, 0x75, 0x6E): return 6
        case (0x6A, 0x75, 0x6C): return 7
        case (0x61, 0x75, 0x67): return 8
        case (0x73, 0x65, 0x70): return 9
        case (0x6F, 0x63, 0x74): return 10
        case (0x6E, 0x6F, 0x76): return 11
        case (0x64, 0x65, 0x63): return 12
        default: return nil
        }
    }

    /// `Jan 28 06:40:37` (also `Jan  8`, and `Mar 7` with a single space). Returns the rest after the time.
    mutating func bsd(_ s: ArraySlice<UInt8>) -> (Double, ArraySlice<UInt8>)? {
        guard s.count >= 14 else { return nil }
        let b = s.startIndex
        guard let mo = Self.month(s[b], s[b + 1], s[b + 2]), s[b + 3] == Bytes.space else { return nil }
        var i = b + 4
        if s[i] == Bytes.space { i += 1 }
        var day = 0
        var n = 0
        while i < s.endIndex, Bytes.isDigit(s[i]), n < 2 { day = day * 10 + Int(s[i] - 0x30); i += 1; n += 1 }
        guard n > 0, i + 9 <= s.endIndex, s[i] == Bytes.space else { return nil }
        i += 1
        guard s[i + 2] == 0x3A, s[i + 5] == 0x3A, let h = Self.two(s, i), let mi = Self.two(s, i + 3),
              let sec = Self.two(s, i + 6) else { return nil }
        i += 8
        var frac = 0.0
        if i < s.endIndex, s[i] == 0x2E { (frac, i) = Self.fraction(s, i) }
        var y = year
        var t = local(y, mo, day, h, mi, sec)
        if !forcedYear, t > now + 86400 { y -= 1; t = local(y, mo, day, h, mi, sec) }
        return (t + frac, s[i...])
    }

    /// `1796551200.123456 ` (`journalctl -o short-unix`): seconds since 1970, 9 or 10 digits (2001 to 2286),
    /// an optional fraction, then a space.
    static func unix(_ s: ArraySlice<UInt8>) -> (Double, ArraySlice<UInt8>)? {
        var i = s.startIndex
        var v = 0
        while i < s.endIndex, Bytes.isDigit(s[i]), i - s.startIndex < 10 { v = v * 10 + Int(s[i] - 0x30); i += 1 }
        guard i - s.startIndex >= 9 else { return nil }
        var frac = 0.0
        if i < s.endIndex, s[i] == 0x2E { (frac, i) = fraction(s, i) }
        guard i < s.endIndex, s[i] == Bytes.space else { return nil }
        return (Double(v) + frac, s[i...])
    }

    /// `Mon 2026-12-07 10:00:00 UTC` (`journalctl -o short-full`, `-o short-iso`'s wordier sibling): weekday,
    /// date, time with an optional fraction, zone abbreviation. UTC and GMT are read as such; any other
    /// abbreviation (ambiguous the world over) as local time.
    mutating func full(_ s: ArraySlice<UInt8>) -> (Double, ArraySlice<UInt8>)? {
        let b = s.startIndex
        guard s.count >= 28, s[b + 3] == Bytes.space, s[b..<(b + 3)].allSatisfy(Bytes.isLetter) else { return nil }
        let d = b + 4
        guard s[d + 4] == 0x2D, s[d + 7] == 0x2D, s[d + 10] == Bytes.space, s[d + 13] == 0x3A, s[d + 16] == 0x3A,
              let y = Bytes.integer(s[d..<(d + 4)]), let mo = Self.two(s, d + 5), let day = Self.two(s, d + 8),
              let h = Self.two(s, d + 11), let mi = Self.two(s, d + 14), let sec = Self.two(s, d + 17),
              mo >= 1, mo <= 12 else { return nil }
        var i = d + 19
        var frac = 0.0
        if i < s.endIndex, s[i] == 0x2E { (frac, i) = Self.fraction(s, i) }
        guard i < s.endIndex, s[i] == Bytes.space else { return nil }
        let zone = s[(i + 1)...].prefix { $0 != Bytes.space }
        guard !zone.isEmpty, zone.count <= 6, zone.allSatisfy(Bytes.isLetter) else { return nil }
        let utc = LogBytes.equals(zone, "UTC") || LogBytes.equals(zone, "GMT")
        let t = utc ? Double(Self.utc(y, mo, day, h, mi, sec)) : local(y, mo, day, h, mi, sec)
        return (t + frac, s[zone.endIndex...])
    }

    static func fraction(_ s: ArraySlice<UInt8>, _ start: Int) -> (Double, Int) {
        var i = start + 1
        var v = 0.0
        var scale = 0.1
        while i < s.endIndex, Bytes.isDigit(s[i]) { v += Double(s[i] - 0x30) * scale; scale /= 10; i += 1 }
        return (v, i)
    }

    /// `2024-08-26T01:33:38[.frac][Z|+00:00|+0000]` or, with `allowSpace`, `2024-08-26 01:33:38` (Exim).
    mutating func iso(_ s: ArraySlice<UInt8>, allowSpace: Bool = false) -> (Double, ArraySlice<UInt8>)? {
        guard s.count >= 19 else { return nil }
        let b = s.startIndex
        guard s[b + 4] == 0x2D, s[b + 7] == 0x2D, s[b + 13] == 0x3A, s[b + 16] == 0x3A else { return nil }
        let sep = s[b + 10]
        guard sep == 0x54 || (allowSpace && sep == Bytes.space) else { return nil }
        guard let y = Bytes.integer(s[b..<(b + 4)]), let mo = Self.two(s, b + 5), let d = Self.two(s, b + 8),
              let h = Self.two(s, b + 11), let mi = Self.two(s, b + 14), let sec = Self.two(s, b + 17),
              mo >= 1, mo <= 12 else { return nil }
        var i = b + 19
        var frac = 0.0
        if i < s.endIndex, s[i] == 0x2E { (frac, i) = Self.fraction(s, i) }
        var offset: Int?
        if i < s.endIndex {
            let z = s[i]
            if z == 0x5A { offset = 0; i += 1 }
            else if (z == 0x2B || z == 0x2D), i + 5 <= s.endIndex, let oh = Self.two(s, i + 1) {
                var j = i + 3
                if s[j] == 0x3A { j += 1 }
                if j + 2 <= s.endIndex, let om = Self.two(s, j) {
                    offset = (oh * 3600 + om * 60) * (z == 0x2D ? -1 : 1)
                    i = j + 2
                }
            } else if allowSpace, z == Bytes.space, i + 6 <= s.endIndex, s[i + 1] == 0x2B || s[i + 1] == 0x2D,
                      Bytes.isDigit(s[i + 2]), let oh = Self.two(s, i + 2), let om = Self.two(s, i + 4),
                      i + 6 == s.endIndex || s[i + 6] == Bytes.space {
                // Exim `log_timezone`: `2024-01-01 10:00:00 +0100`
                offset = (oh * 3600 + om * 60) * (s[i + 1] == 0x2D ? -1 : 1)
                i += 6
            }
        }
        let t: Double
        if let offset { t = Double(Self.utc(y, mo, d, h, mi, sec) - offset) }
        else { t = local(y, mo, d, h, mi, sec) }
        return (t + frac, s[i...])
    }
}

/// A `journalctl -o json` record: the fields we need, decoded.
enum JournalJSON {
    static func parse(_ s: ArraySlice<UInt8>, clock: inout LogClock) -> LogLine? {
        var message: [UInt8]?
        var ident: [UInt8] = []
        var host: [UInt8] = []
        var pid: Int?
        var time: Double?
        var i = s.startIndex + 1
        while i < s.endIndex {
            // key
            while i < s.endIndex, s[i] != 0x22 { i += 1 }
            guard i < s.endIndex, let (key, afterKey) = string(s, i) else { break }
            i = afterKey
            while i < s.endIndex, s[i] == Bytes.space || s[i] == 0x3A { i += 1 }
            guard i < s.endIndex else { break }
            if s[i] == 0x22 {
                guard let (value, after) = string(s, i) else { break }
                i = after
                switch key {
                case Array("MESSAGE".utf8): message = value
                case Array("SYSLOG_IDENTIFIER".utf8): ident = value
                case Array("_HOSTNAME".utf8): host = value
                case Array("SYSLOG_PID".utf8), Array("_PID".utf8):
                    if pid == nil || key == Array("SYSLOG_PID".utf8) { pid = Bytes.integer(value[...]) }
                case Array("__REALTIME_TIMESTAMP".utf8):
                    if let us = Bytes.integer(value[...]) { time = Double(us) / 1_000_000 }
                case Array("SYSLOG_TIMESTAMP".utf8):
                    if time == nil, let (t, _) = clock.bsd(value[...]) { time = t }
                default: break
                }
            } else {
                // number, array, null: skip to the next comma at depth 0
                var depth = 0
                while i < s.endIndex {
                    let c = s[i]
                    if c == 0x5B || c == 0x7B { depth += 1 }
                    else if c == 0x5D || c == 0x7D { if depth == 0 { break }; depth -= 1 }
                    else if c == 0x2C, depth == 0 { break }
                    else if c == 0x22, let (_, after) = string(s, i) { i = after; continue }
                    i += 1
                }
            }
            while i < s.endIndex, s[i] != 0x2C, s[i] != 0x7D { i += 1 }
            if i < s.endIndex, s[i] == 0x7D { break }
            i += 1
        }
        guard let message else { return nil }
        return LogLine(time: time, host: host[...], program: ident[...], pid: pid, message: message[...])
    }

    /// A JSON string starting at `start` (the quote): decoded bytes and the index after the closing quote.
    static func string(_ s: ArraySlice<UInt8>, _ start: Int) -> ([UInt8], Int)? {
        JSONString.decode(s, at: start, strict: false)
    }
}

/// memchr for the first byte, memcmp for the rest (Glibc's memmem is not exported to Swift).
@inline(__always)
func memfind(_ hay: UnsafePointer<UInt8>, _ count: Int, _ needle: UnsafePointer<UInt8>, _ n: Int) -> UnsafePointer<UInt8>? {
    guard n > 0, count >= n else { return nil }
    let first = Int32(needle[0])
    var start = 0
    let lastStart = count - n
    while start <= lastStart {
        guard let p = memchr(hay + start, first, lastStart - start + 1) else { return nil }
        let q = p.assumingMemoryBound(to: UInt8.self)
        if n == 1 || memcmp(q + 1, needle + 1, n - 1) == 0 { return UnsafePointer(q) }
        start = hay.distance(to: q) + 1
    }
    return nil
}

/// Byte search helpers for log messages (memmem-backed; no `String` on the hot path).
enum LogBytes {
    /// Index of the first occurrence of `needle` in `s`.
    @inline(__always)
    static func find(_ s: ArraySlice<UInt8>, _ needle: StaticString) -> Int? {
        let n = needle.utf8CodeUnitCount
        guard s.count >= n else { return nil }
        return s.withUnsafeBufferPointer { buf -> Int? in
            guard let base = buf.baseAddress else { return nil }
            guard let p = memfind(base, buf.count, needle.utf8Start, n) else { return nil }
            return s.startIndex + base.distance(to: p)
        }
    }

    static func find(_ s: ArraySlice<UInt8>, bytes needle: [UInt8]) -> Int? {
        guard !needle.isEmpty, s.count >= needle.count else { return nil }
        return s.withUnsafeBufferPointer { buf -> Int? in
            guard let base = buf.baseAddress else { return nil }
            return needle.withUnsafeBufferPointer { nb -> Int? in
                guard let p = memfind(base, buf.count, nb.baseAddress!, nb.count) else { return nil }
                return s.startIndex + base.distance(to: p)
            }
        }
    }

    /// Case-sensitive prefix test.
    @inline(__always)
    static func starts(_ s: ArraySlice<UInt8>, _ prefix: StaticString) -> Bool {
        let n = prefix.utf8CodeUnitCount
        guard s.count >= n else { return false }
        return s.withUnsafeBufferPointer { buf in memcmp(buf.baseAddress!, prefix.utf8Start, n) == 0 }
    }

    @inline(__always)
    static func equals(_ s: ArraySlice<UInt8>, _ word: StaticString) -> Bool {
        s.count == word.utf8CodeUnitCount && starts(s, word)
    }

    /// The text after `prefix` if `s` starts with it.
    @inline(__always)
    static func after(_ s: ArraySlice<UInt8>, _ prefix: StaticString) -> ArraySlice<UInt8>? {
        starts(s, prefix) ? s[(s.startIndex + prefix.utf8CodeUnitCount)...] : nil
    }

    /// The value of `key` (given with its `=`, e.g. `"from="`) up to the next `,`/space, or inside `<...>`.
    /// `key` must be preceded by start, space or comma.
    static func value(_ s: ArraySlice<UInt8>, _ key: StaticString) -> ArraySlice<UInt8>? {
        var from = s
        while let k = find(from, key) {
            if k == s.startIndex || s[k - 1] == Bytes.space || s[k - 1] == 0x2C {
                let start = k + key.utf8CodeUnitCount
                var v = s[start...]
                if let f = v.first, f == 0x3C {
                    if let close = v.firstIndex(of: 0x3E) { return v[(v.startIndex + 1)..<close] }
                    return v.dropFirst()
                }
                var e = v.startIndex
                while e < v.endIndex, v[e] != Bytes.space, v[e] != 0x2C { e += 1 }
                v = v[v.startIndex..<e]
                return v
            }
            from = s[(k + 1)...]
        }
        return nil
    }

    /// `host[ip]` or `host[ip]:port`, or `[ip]:port`: host, ip, port.
    static func hostAddress(_ s: ArraySlice<UInt8>) -> (host: String?, ip: String?, port: Int?) {
        guard let open = s.firstIndex(of: 0x5B), let close = s[open...].firstIndex(of: 0x5D) else {
            let t = Bytes.trimmed(s)
            return (t.isEmpty ? nil : Bytes.string(t), nil, nil)
        }
        let host = Bytes.trimmed(s[s.startIndex..<open])
        let ip = s[(open + 1)..<close]
        var port: Int?
        if close + 1 < s.endIndex, s[close + 1] == 0x3A {
            var e = close + 2
            while e < s.endIndex, Bytes.isDigit(s[e]) { e += 1 }
            port = Bytes.integer(s[(close + 2)..<e])
        }
        return (host.isEmpty ? nil : Bytes.string(host), ip.isEmpty ? nil : Bytes.string(ip), port)
    }

    /// Unfold a reply the MTA logged on one line (`550-5.7.1 a 550-5.7.1 b 550 5.7.1 c`) into one
    /// reply line `550 5.7.1 a b c`.
    static func unfoldReply(_ s: ArraySlice<UInt8>) -> [UInt8] {
        let t = Bytes.trimmed(s)
        guard t.count >= 4, let r = ReplyLine.parse(t), r.continues else { return Array(t) }
        let code = Array(t.prefix(3))
        var out: [UInt8] = code + [Bytes.space]
        var i = t.startIndex + 4
        var enhanced: [UInt8]?
        // Enhanced code on the first line.
        var j = i
        while j < t.endIndex, Bytes.isDigit(t[j]) || t[j] == 0x2E { j += 1 }
        if j > i, j < t.endIndex, t[j] == Bytes.space, t[i..<j].contains(0x2E) {
            enhanced = Array(t[i..<j])
            out += t[i...j]
            i = j + 1
        }
        while i < t.endIndex {
            // " 550-" or " 550 " inside: drop the code (and a repeated enhanced code).
            if t[i] == Bytes.space, i + 5 <= t.endIndex, t[(i + 1)..<(i + 4)].elementsEqual(code),
               t[i + 4] == 0x2D || t[i + 4] == Bytes.space {
                out.append(Bytes.space)
                i += 5
                if let e = enhanced, t[i...].starts(with: e) {
                    i += e.count
                    while i < t.endIndex, t[i] == Bytes.space { i += 1 }
                }
                continue
            }
            out.append(t[i])
            i += 1
        }
        return out
    }
}
