import TranscriptModel
#if canImport(Glibc)
import Glibc
#endif

/// Fetches a domain's MTA-STS policy the way senders do (RFC 8461 section 3.3): HTTPS GET of
/// `/.well-known/mta-sts.txt` on `mta-sts.DOMAIN`, a certificate valid for that name, no redirects
/// followed. The answer is written as `curl -si` prints it (its error lines too), so the DNS reader reads
/// the saved lines and a live check the same way.
struct STSPolicyFetch {
    let host: String
    var port: UInt16 = 443
    var timeout: Double = 5
    /// PEM certificates trusted besides the system store (tests).
    var trustFile: String?
    /// A policy is a few lines; anything past this is not one.
    static let maxAnswer = 64 * 1024

    /// Fetch, record the lines as DNS notes, and put what they say into `facts` (read back through the DNS
    /// reader's parser: live and saved lines give the same facts).
    func record(client: DNSClient, facts: inout DNSFacts, rec: inout Recorder) {
        var parser = DNSLineParser()
        for line in run(client: client) {
            _ = parser.consume(line)
            if !line.isEmpty { rec.dns(line) }
        }
        facts.stsFetch = parser.facts.stsFetch
        facts.stsPolicy = parser.facts.stsPolicy
    }

    /// The lines to record: the command, then the status and header lines and the body, or curl's error.
    func run(client: DNSClient) -> [String] {
        var out = ["curl -si https://\(host)\(port == 443 ? "" : ":\(port)")/.well-known/mta-sts.txt"]
        var addresses: [String] = []
        for type in [DNSType.a, .aaaa] where addresses.isEmpty {
            guard case .success(let m) = client.query(host, type), m.rcode == 0 else { continue }
            for r in m.answers {
                if case .a(let ip) = r.data { addresses.append(ip) }
                if case .aaaa(let ip) = r.data { addresses.append(ip) }
            }
        }
        guard let ip = addresses.first else {
            return out + ["curl: (6) Could not resolve host: \(host)"]
        }
        let fd: Int32
        switch connectTCP(Endpoint(address: ip, port: port), timeout: timeout) {
        case .connected(let f): fd = f
        case .failed(let failure, let text):
            return out + [failure == .timedOut ? "curl: (28) Failed to connect to \(host) port \(port): \(text)"
                                               : "curl: (7) Failed to connect to \(host) port \(port): \(text)"]
        }
        defer { close(fd) }
        let conn: TLSConnection
        switch TLSConnection.handshake(fd: fd, host: host, timeout: timeout, trustFile: trustFile) {
        case .failure(let e): return out + ["curl: (35) \(e.text)"]
        case .success(let (c, result)):
            if result.nameMatches == false {
                return out + ["curl: (60) SSL: no alternative certificate subject name matches target host name '\(host)'"]
            }
            if !result.verify.hasPrefix("0 ") {
                // In curl's words: `SSL certificate problem: self-signed certificate`.
                return out + ["curl: (60) SSL certificate problem: \(TLSFacts.verifyReason(result.verify))"]
            }
            conn = c
        }
        let deadline = monotonicNow() + timeout
        let request = "GET /.well-known/mta-sts.txt HTTP/1.0\r\nHost: \(host)\r\nUser-Agent: smtpexplain\r\nAccept: text/plain\r\nConnection: close\r\n\r\n"
        guard conn.write(Array(request.utf8), fd: fd, deadline: deadline) else {
            return out + ["curl: (55) Failed sending the request to \(host)"]
        }
        var answer: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 16 * 1024)
        reading: while answer.count < Self.maxAnswer {
            switch conn.read(into: &buf, fd: fd, deadline: deadline) {
            case .data(let n): answer += buf[0..<n]
            case .eof: break reading
            case .timeout: if answer.isEmpty { return out + ["curl: (28) Operation timed out after \(formatSeconds(timeout)) with 0 bytes received"] }; break reading
            case .error(let e): if answer.isEmpty { return out + ["curl: (56) Failure when receiving data from the peer: \(e)"] }; break reading
            }
        }
        guard !answer.isEmpty else { return out + ["curl: (52) Empty reply from server"] }
        out += Self.answerLines(answer.prefix(Self.maxAnswer))
        return out
    }

    /// The status line, the header fields that matter (type and redirect target), a blank line, the body's
    /// lines (at most 64, each cut at 256 bytes, control characters dropped).
    static func answerLines(_ bytes: ArraySlice<UInt8>) -> [String] {
        let text = String(decoding: bytes, as: UTF8.self)
        let parts = text.components(separatedBy: "\r\n\r\n")
        let head = parts[0].split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
        func clean(_ s: Substring) -> String {
            String(String(s.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }).prefix(256))
        }
        guard let status = head.first, status.hasPrefix("HTTP/") else {
            return ["curl: (1) Received HTTP/0.9 when not allowed"]
        }
        var out = [clean(status[...])]
        for h in head.dropFirst() {
            let l = h.lowercased()
            if l.hasPrefix("content-type:") || l.hasPrefix("location:") { out.append(clean(h[...])) }
        }
        out.append("")
        let body = parts.dropFirst().joined(separator: "\r\n\r\n")
        for line in body.split(whereSeparator: \.isNewline).prefix(64) {
            let c = clean(line).trimmingCharacters(in: .whitespaces)
            if !c.isEmpty { out.append(c) }
        }
        return out
    }
}
