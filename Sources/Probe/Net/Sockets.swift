#if canImport(Glibc)
import Glibc
#endif
import TranscriptModel

/// An IP address and port, parsed from `IP`, `IP:PORT`, `[IPv6]:PORT`.
public struct Endpoint: Hashable, Sendable, CustomStringConvertible {
    public var address: String
    public var port: UInt16

    public init(address: String, port: UInt16) {
        self.address = address
        self.port = port
    }

    /// `IP[:PORT]` with a literal address; nil for names or bad ports.
    public static func parse(_ s: String, defaultPort: UInt16) -> Endpoint? {
        guard let (host, port) = splitHostPort(s, defaultPort: defaultPort),
              DNSMessage.family(of: host) != nil else { return nil }
        return Endpoint(address: host, port: port)
    }

    /// `HOST[:PORT]`, `[v6]:PORT`; a bare IPv6 literal (several colons) has no port.
    public static func splitHostPort(_ s: String, defaultPort: UInt16) -> (String, UInt16)? {
        if s.hasPrefix("[") {
            guard let close = s.firstIndex(of: "]") else { return nil }
            let host = String(s[s.index(after: s.startIndex)..<close])
            let rest = s[s.index(after: close)...]
            if rest.isEmpty { return (host, defaultPort) }
            guard rest.hasPrefix(":"), let p = UInt16(rest.dropFirst()), p > 0 else { return nil }
            return (host, p)
        }
        let colons = s.filter { $0 == ":" }.count
        if colons == 1, let i = s.firstIndex(of: ":") {
            guard let p = UInt16(s[s.index(after: i)...]), p > 0 else { return nil }
            return (String(s[..<i]), p)
        }
        guard !s.isEmpty else { return nil }
        return (s, defaultPort)
    }

    public var description: String {
        address.contains(":") ? "[\(address)]:\(port)" : "\(address):\(port)"
    }

    /// The socket address for this endpoint.
    func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t, Int32) -> R) -> R? {
        if var a4 = sockaddrIn() {
            return withUnsafePointer(to: &a4) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size), AF_INET) }
            }
        }
        if var a6 = sockaddrIn6() {
            return withUnsafePointer(to: &a6) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in6>.size), AF_INET6) }
            }
        }
        return nil
    }

    private func sockaddrIn() -> sockaddr_in? {
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = port.bigEndian
        guard inet_pton(AF_INET, address, &a.sin_addr) == 1 else { return nil }
        return a
    }

    private func sockaddrIn6() -> sockaddr_in6? {
        var a = sockaddr_in6()
        a.sin6_family = sa_family_t(AF_INET6)
        a.sin6_port = port.bigEndian
        guard inet_pton(AF_INET6, address, &a.sin6_addr) == 1 else { return nil }
        return a
    }
}


func errnoText(_ e: Int32) -> String { String(cString: strerror(e)) }

/// Wait until `fd` is ready for `events` or the deadline passes. True when ready (or in error: the next
/// call tells which).
func waitFor(_ fd: Int32, _ events: Int16, until deadline: Double) -> Bool {
    while true {
        let left = deadline - monotonicNow()
        if left <= 0 { return false }
        var p = pollfd(fd: fd, events: events, revents: 0)
        let n = poll(&p, 1, Int32(min(left * 1000, 2_000_000_000)) + 1)
        if n > 0 { return true }
        if n == 0 { continue }
        if errno == EINTR { continue }
        return true
    }
}

func setNonBlocking(_ fd: Int32) {
    let flags = fcntl(fd, F_GETFL)
    _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
}

/// The result of a TCP connection attempt.
public enum ConnectOutcome: Sendable {
    case connected(fd: Int32)
    case failed(ConnectFailure, String)
}

/// Non-blocking connect bounded by `timeout`; refused, timed out and unreachable are told apart.
func connectTCP(_ endpoint: Endpoint, timeout: Double) -> ConnectOutcome {
    let result: ConnectOutcome? = endpoint.withSockaddr { sa, len, family in
        let fd = socket(family, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return .failed(.other, "socket: \(errnoText(errno))") }
        setNonBlocking(fd)
        if connect(fd, sa, len) == 0 { return .connected(fd: fd) }
        var e = errno
        if e == EINPROGRESS {
            if !waitFor(fd, Int16(POLLOUT), until: monotonicNow() + timeout) {
                close(fd)
                return .failed(.timedOut, "Connection timed out (no answer within \(formatSeconds(timeout)))")
            }
            var soError: Int32 = 0
            var l = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &l)
            if soError == 0 { return .connected(fd: fd) }
            e = soError
        }
        close(fd)
        switch e {
        case ECONNREFUSED: return .failed(.refused, "Connection refused")
        case ETIMEDOUT: return .failed(.timedOut, "Connection timed out")
        case EHOSTUNREACH: return .failed(.noRoute, "No route to host")
        case ENETUNREACH: return .failed(.networkUnreachable, "Network is unreachable")
        default: return .failed(.other, errnoText(e))
        }
    }
    return result ?? .failed(.other, "not an IP address: \(endpoint.address)")
}

func formatSeconds(_ s: Double) -> String {
    s == s.rounded() ? "\(Int(s))s" : "\(s)s"
}

/// A line-oriented TCP connection with a deadline on every read. Lines are capped in length so a hostile
/// server cannot grow memory without bound.
struct LineConnection {
    let fd: Int32
    private var buffer: [UInt8] = []
    private var start = 0
    private(set) var closedByPeer = false
    /// Set once STARTTLS succeeded: reads and writes go through it.
    var tls: TLSConnection?
    static let maxLine = 8192

    init(fd: Int32) { self.fd = fd }

    enum Read {
        case line([UInt8])
        case eof
        case timeout
        case error(String)
    }

    /// The next line without its CRLF/LF.
    mutating func readLine(timeout: Double) -> Read {
        let deadline = monotonicNow() + timeout
        while true {
            if let nl = buffer[start...].firstIndex(of: 0x0A) {
                var line = Array(buffer[start..<nl])
                if line.last == 0x0D { line.removeLast() }
                start = nl + 1
                compact()
                return .line(line)
            }
            if buffer.count - start > Self.maxLine {
                let line = Array(buffer[start..<start + Self.maxLine])
                start += Self.maxLine
                compact()
                return .line(line)
            }
            if closedByPeer {
                if buffer.count > start {
                    let line = Array(buffer[start...])
                    start = buffer.count
                    return .line(line)
                }
                return .eof
            }
            var chunk = [UInt8](repeating: 0, count: 4096)
            if let tls {
                switch tls.read(into: &chunk, fd: fd, deadline: deadline) {
                case .data(let n): buffer += chunk[0..<n]
                case .eof: closedByPeer = true
                case .timeout: return .timeout
                case .error(let e): return .error(e)
                }
                continue
            }
            if !waitFor(fd, Int16(POLLIN), until: deadline) { return .timeout }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                buffer += chunk[0..<n]
            } else if n == 0 {
                closedByPeer = true
            } else if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR {
                continue
            } else if errno == ECONNRESET {
                closedByPeer = true
            } else {
                return .error(errnoText(errno))
            }
        }
    }

    private mutating func compact() {
        if start > 65536 || start == buffer.count {
            buffer.removeFirst(start)
            start = 0
        }
    }

    /// Send bytes plus CRLF; false when the connection is gone or the deadline passed.
    func send(_ line: [UInt8], timeout: Double) -> Bool {
        let bytes = line + [0x0D, 0x0A]
        let deadline = monotonicNow() + timeout
        if let tls { return tls.write(bytes, fd: fd, deadline: deadline) }
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + off, bytes.count - off, Int32(MSG_NOSIGNAL)) }
            if n > 0 { off += n; continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
                if !waitFor(fd, Int16(POLLOUT), until: deadline) { return false }
                continue
            }
            return false
        }
        return true
    }

    /// True when bytes the server sent before the handshake are still unread (a STARTTLS injection risk).
    var hasBufferedBytes: Bool { buffer.count > start }

    func close() { _ = Glibc.close(fd) }
}
