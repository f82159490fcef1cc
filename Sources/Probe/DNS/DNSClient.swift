#if canImport(Glibc)
import Glibc
import TranscriptModel
#endif

/// Why a DNS query got no usable answer.
public enum DNSQueryError: Error, Sendable, CustomStringConvertible {
    case timeout
    case network(String)
    case malformed(String)

    public var description: String {
        switch self {
        case .timeout: return "no answer from the DNS server (timed out)"
        case .network(let s): return "network error talking to the DNS server: \(s)"
        case .malformed(let s): return "malformed DNS answer: \(s)"
        }
    }
}

/// A small stub resolver: one question per query to one server, over UDP, retried once, and over TCP when
/// the UDP answer comes back truncated (RFC 1035 4.2.2, RFC 7766).
public struct DNSClient: Sendable {
    public var server: Endpoint
    /// Seconds per attempt.
    public var timeout: Double

    public init(server: Endpoint, timeout: Double = 5) {
        self.server = server
        self.timeout = timeout
    }

    /// The first nameserver of /etc/resolv.conf (or the given text), port 53; 127.0.0.1 when none is listed.
    public static func systemServer(resolvConf: String? = nil) -> Endpoint {
        let text = resolvConf ?? readFile("/etc/resolv.conf") ?? ""
        for line in text.split(separator: "\n") {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard words.count >= 2, words[0] == "nameserver" else { continue }
            var addr = String(words[1])
            if let pct = addr.firstIndex(of: "%") { addr = String(addr[..<pct]) }  // fe80::1%eth0
            if DNSMessage.family(of: addr) != nil { return Endpoint(address: addr, port: 53) }
        }
        return Endpoint(address: "127.0.0.1", port: 53)
    }

    public func query(_ name: String, _ type: DNSType) -> Result<DNSMessage, DNSQueryError> {
        let id = UInt16.random(in: 0...UInt16.max)
        var q = DNSMessage.query(id: id, name: name, type: type)
        // Ask a validating resolver to say whether it validated the answer (DANE needs to know).
        q.authenticData = type == .tlsa
        let packet: [UInt8]
        do { packet = try q.encode() } catch { return .failure(.malformed("cannot encode query for \(name): \(error)")) }
        var last: DNSQueryError = .timeout
        for _ in 0..<2 {
            switch udp(packet, expect: q) {
            case .success(let m) where m.truncated:
                return tcp(packet, expect: q)
            case .success(let m):
                return .success(m)
            case .failure(let e):
                last = e
                if case .network = e { return .failure(e) }
            }
        }
        return .failure(last)
    }

    private func matches(_ m: DNSMessage, _ q: DNSMessage) -> Bool {
        guard m.isResponse, m.id == q.id else { return false }
        // Some servers omit the question in error answers; when present it must be ours.
        guard let mq = m.questions.first else { return true }
        let want = q.questions[0]
        return mq.type == want.type && mq.name.lowercased() == want.name.lowercased().trimmingDot
    }

    private func udp(_ packet: [UInt8], expect q: DNSMessage) -> Result<DNSMessage, DNSQueryError> {
        let r: Result<DNSMessage, DNSQueryError>? = server.withSockaddr { sa, len, family in
            let fd = socket(family, Int32(SOCK_DGRAM.rawValue), 0)
            guard fd >= 0 else { return .failure(.network(errnoText(errno))) }
            defer { close(fd) }
            setNonBlocking(fd)
            // A connected UDP socket only accepts datagrams from the server, and reports ICMP refusals.
            guard connect(fd, sa, len) == 0 else { return .failure(.network(errnoText(errno))) }
            guard packet.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == packet.count else {
                return .failure(.network(errnoText(errno)))
            }
            let deadline = monotonicNow() + timeout
            var buf = [UInt8](repeating: 0, count: 65535)
            while waitFor(fd, Int16(POLLIN), until: deadline) {
                let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n < 0 {
                    if errno == EAGAIN || errno == EINTR { continue }
                    if errno == ECONNREFUSED { return .failure(.network("port unreachable (nothing answers DNS at \(server))")) }
                    return .failure(.network(errnoText(errno)))
                }
                // Answers that do not parse or are not ours are ignored (spoofing, late answers to a retry).
                guard let m = try? DNSMessage.decode(Array(buf[0..<n])), matches(m, q) else { continue }
                return .success(m)
            }
            return .failure(.timeout)
        }
        return r ?? .failure(.network("not an IP address: \(server.address)"))
    }

    private func tcp(_ packet: [UInt8], expect q: DNSMessage) -> Result<DNSMessage, DNSQueryError> {
        switch connectTCP(server, timeout: timeout) {
        case .failed(let f, let text):
            return .failure(f == .timedOut ? .timeout : .network("TCP: \(text)"))
        case .connected(let fd):
            defer { close(fd) }
            let framed = [UInt8(packet.count >> 8), UInt8(packet.count & 0xFF)] + packet
            let deadline = monotonicNow() + timeout
            var off = 0
            while off < framed.count {
                let n = framed.withUnsafeBytes { send(fd, $0.baseAddress! + off, framed.count - off, Int32(MSG_NOSIGNAL)) }
                if n > 0 { off += n; continue }
                if n < 0 && (errno == EAGAIN || errno == EINTR), waitFor(fd, Int16(POLLOUT), until: deadline) { continue }
                return .failure(.network("TCP send: \(errnoText(errno))"))
            }
            var got: [UInt8] = []
            var want = 2
            var buf = [UInt8](repeating: 0, count: 16384)
            while got.count < want {
                guard waitFor(fd, Int16(POLLIN), until: deadline) else { return .failure(.timeout) }
                let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n < 0 {
                    if errno == EAGAIN || errno == EINTR { continue }
                    return .failure(.network("TCP receive: \(errnoText(errno))"))
                }
                if n == 0 { return .failure(.malformed("TCP answer cut short")) }
                got += buf[0..<n]
                if got.count >= 2 && want == 2 { want = 2 + (Int(got[0]) << 8 | Int(got[1])) }
            }
            do {
                let m = try DNSMessage.decode(Array(got[2..<want]))
                guard matches(m, q) else { return .failure(.malformed("answer to another question")) }
                return .success(m)
            } catch {
                return .failure(.malformed("\(error)"))
            }
        }
    }
}

func readFile(_ path: String) -> String? {
    guard let f = fopen(path, "r") else { return nil }
    defer { fclose(f) }
    var out: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 4096)
    while out.count < 1 << 20 {
        let n = fread(&buf, 1, buf.count, f)
        if n <= 0 { break }
        out += buf[0..<n]
    }
    return String(decoding: out, as: UTF8.self)
}

extension String {
    var trimmingDot: String { hasSuffix(".") && count > 1 ? String(dropLast()) : self }
}
