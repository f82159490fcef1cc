/// What a container platform puts around each line of a mail server's log: `docker compose logs`' service
/// column (`mailserver-1  | `), the runtime's own time stamp (`docker logs -t`, `kubectl logs --timestamps`:
/// `2026-12-07T10:00:00.123456789Z `), `kubectl logs --prefix`'s `[pod/name/container] `, and Docker's
/// json-file driver (`{"log":"…\n","stream":"stdout","time":"…"}`). Mail servers in containers (mailcow,
/// docker-mailserver, Mailu) are often only seen this way. Taken off before detection and reading, so every
/// log reader sees the lines its MTA wrote; line numbers stay those of the input.
struct ContainerLogPrefix: Sendable, Hashable {
    /// What was found, in the order it is taken off.
    var composeColumn = false
    var kubectlPrefix = false
    var runtimeTime = false
    var jsonFile = false

    /// The wrapper most of the first lines carry, nil when they carry none. Only taken when what is left
    /// starts with a log time stamp (a wrapped log, not some other text with a `|` in it).
    static func detect(_ prefix: [ArraySlice<UInt8>]) -> ContainerLogPrefix? {
        var lines = 0
        var counts = [0, 0, 0, 0]
        var stamped = 0
        for line in prefix where !line.isEmpty {
            lines += 1
            var s = line
            if let r = jsonLog(s) { counts[3] += 1; if startsWithStamp(r[...]) { stamped += 1 }; continue }
            if let r = afterComposeColumn(s) { counts[0] += 1; s = r }
            if let r = afterKubectlPrefix(s) { counts[1] += 1; s = r }
            if let r = afterRuntimeTime(s), startsWithStamp(r) { counts[2] += 1; s = r }
            if s.count != line.count, startsWithStamp(s) { stamped += 1 }
        }
        guard lines > 0, stamped * 2 >= lines else { return nil }
        let found = ContainerLogPrefix(composeColumn: counts[0] * 2 >= lines, kubectlPrefix: counts[1] * 2 >= lines,
                                       runtimeTime: counts[2] * 2 >= lines, jsonFile: counts[3] * 2 >= lines)
        return found == ContainerLogPrefix() ? nil : found
    }

    /// The line without the wrapper (a line without it passes unchanged).
    func strip(_ line: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        if jsonFile, let r = Self.jsonLog(line) { return r[...] }
        var s = line
        if composeColumn, let r = Self.afterComposeColumn(s) { s = r }
        if kubectlPrefix, let r = Self.afterKubectlPrefix(s) { s = r }
        // Only when the MTA's own stamp follows: a line with the runtime's stamp alone keeps it as its time.
        if runtimeTime, let r = Self.afterRuntimeTime(s), Self.startsWithStamp(r) { s = r }
        return s
    }

    /// How the input was wrapped, for the session's attributes.
    var label: String {
        var parts: [String] = []
        if jsonFile { parts.append("docker json-file") }
        if composeColumn { parts.append("docker compose logs") }
        if kubectlPrefix { parts.append("kubectl logs --prefix") }
        if runtimeTime { parts.append("container runtime time stamps") }
        return parts.joined(separator: ", ")
    }

    // MARK: - Shapes

    /// `name  | rest` (ANSI colours around the name and bar allowed): the rest.
    static func afterComposeColumn(_ line: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        var i = skipColour(line, from: line.startIndex)
        let nameStart = i
        while i < line.endIndex, i - nameStart < 80, isNameByte(line[i]) { i += 1 }
        guard i > nameStart, i < line.endIndex, line[i] == Bytes.space else { return nil }
        while i < line.endIndex, line[i] == Bytes.space { i += 1 }
        i = skipColour(line, from: i)
        guard i < line.endIndex, line[i] == 0x7C /* | */ else { return nil }
        i = skipColour(line, from: i + 1)
        if i < line.endIndex, line[i] == Bytes.space { i += 1 }
        return line[i...]
    }

    /// `[pod/name/container] rest`: the rest.
    static func afterKubectlPrefix(_ line: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        guard LogBytes.starts(line, "[pod/"), let close = line.prefix(300).firstIndex(of: 0x5D),
              close + 1 < line.endIndex, line[close + 1] == Bytes.space else { return nil }
        return line[(close + 2)...]
    }

    /// `2026-12-07T10:00:00.123456789Z rest` (or with an offset): the rest.
    static func afterRuntimeTime(_ line: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        let b = line.startIndex
        guard line.count > 21, line[b + 10] == 0x54 /* T */, line[b + 4] == 0x2D, line[b + 13] == 0x3A,
              let sp = line.prefix(40).firstIndex(of: Bytes.space), sp > b + 19 else { return nil }
        let z = line[sp - 1]
        guard z == 0x5A || Bytes.isDigit(z), line[b..<(b + 4)].allSatisfy(Bytes.isDigit) else { return nil }
        return line[(sp + 1)...]
    }

    /// The `log` value of a json-file line, its trailing newline dropped.
    static func jsonLog(_ line: ArraySlice<UInt8>) -> [UInt8]? {
        guard LogBytes.starts(line, "{\"log\":") else { return nil }
        var q = line.startIndex + 7
        while q < line.endIndex, line[q] == Bytes.space { q += 1 }
        guard q < line.endIndex, line[q] == 0x22, var (v, _) = JSONString.decode(line, at: q, strict: false) else { return nil }
        while let l = v.last, l == Bytes.lf || l == 0x0D { v.removeLast() }
        return v
    }

    /// A syslog (`Dec  7 10:00:00`), ISO 8601 or Exim (`2026-12-07T10:00:00`, `2026-12-07 10:00:00`),
    /// `journalctl -o short-full` (`Mon 2026-12-07 10:00:00 UTC`), Unix (`1796551200.123 `) or multilog (`@4000…`) time stamp at the start: the shape only, as it is asked for
    /// every line.
    static func startsWithStamp(_ s: ArraySlice<UInt8>) -> Bool {
        let b = s.startIndex
        func digit(_ k: Int) -> Bool { b + k < s.endIndex && Bytes.isDigit(s[b + k]) }
        func byte(_ k: Int, _ v: UInt8) -> Bool { b + k < s.endIndex && s[b + k] == v }
        // Dec  7 10:00:00
        if s.count >= 15, s[b] >= 0x41, s[b] <= 0x5A, byte(3, Bytes.space), digit(5), byte(6, Bytes.space),
           digit(7), digit(8), byte(9, 0x3A), byte(12, 0x3A) { return true }
        // 2026-12-07T10:00:00 / 2026-12-07 10:00:00
        if digit(0), digit(3), byte(4, 0x2D), byte(7, 0x2D), byte(10, 0x54) || byte(10, Bytes.space), byte(13, 0x3A) { return true }
        // Mon 2026-12-07 10:00:00 UTC
        if byte(3, Bytes.space), digit(4), digit(7), byte(8, 0x2D), byte(14, Bytes.space) { return true }
        if byte(0, 0x40), s.count > 25 { return true }
        return LogClock.unix(s) != nil
    }

    private static func isNameByte(_ b: UInt8) -> Bool {
        Bytes.isAlnum(b) || b == 0x2D || b == 0x5F || b == 0x2E
    }

    /// Past any `ESC [ … m` colour sequences at `i`.
    private static func skipColour(_ s: ArraySlice<UInt8>, from i0: Int) -> Int {
        var i = i0
        while i + 2 < s.endIndex, s[i] == 0x1B, s[i + 1] == 0x5B {
            var j = i + 2
            while j < s.endIndex, j - i < 16, Bytes.isDigit(s[j]) || s[j] == 0x3B { j += 1 }
            guard j < s.endIndex, s[j] == 0x6D else { break }
            i = j + 1
        }
        return i
    }
}
