import Explainer
import Foundation
import Testing
import TranscriptModel
@testable import Probe
#if canImport(Glibc)
import Glibc
#endif

/// A scripted SMTP server on an ephemeral loopback port: sends `greeting` on connect, then answers every
/// line it receives with the next reply of `replies` (nothing more when they run out, until closed).
final class FakeSMTPServer: Sendable {
    let port: UInt16

    init?(greeting: String, replies: [String] = [], closeAfterReplies: Bool = false) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let ok = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard ok == 0, listen(fd, 4) == 0 else { close(fd); return nil }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        port = UInt16(bigEndian: addr.sin_port)
        Thread.detachNewThread {
            let c = accept(fd, nil, nil)
            close(fd)
            guard c >= 0 else { return }
            func say(_ s: String) { _ = Array(s.utf8).withUnsafeBytes { send(c, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } }
            if !greeting.isEmpty { say(greeting) }
            var pending = replies[...]
            var buf = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = buf.withUnsafeMutableBytes { recv(c, $0.baseAddress, $0.count, 0) }
                if n <= 0 { break }
                let lines = buf[0..<n].filter { $0 == 0x0A }.count
                for _ in 0..<lines {
                    if let r = pending.popFirst() { say(r) }
                }
                if pending.isEmpty && closeAfterReplies { break }
            }
            close(c)
        }
    }
}

@Suite struct FakeServerTests {
    static func probe(_ port: UInt16, timeout: Double = 1) -> ProbeResult {
        var o = ProbeOptions(target: "bob@probe.test")
        o.server = "127.0.0.1:\(port)"
        o.dnsServer = TestDNSServer.shared?.endpoint ?? Endpoint(address: "127.0.0.1", port: 1)
        o.timeout = timeout
        o.helo = "client.probe.test"
        return Prober(options: o).run()
    }

    @Test func silentServerGivesNoGreeting() throws {
        let server = try #require(FakeSMTPServer(greeting: ""))
        let start = monotonicNow()
        let r = Self.probe(server.port, timeout: 0.5)
        #expect(monotonicNow() - start < 5)
        let s = try #require(r.sessions.last)
        #expect(s.greeting == nil)
        #expect(s.attributes["reply-timeout"] == "yes")
        #expect(r.verdict.hasPrefix("no greeting from"), "\(r.verdict)")
    }

    @Test func busyGreeting() throws {
        let server = try #require(FakeSMTPServer(greeting: "421 4.3.2 mx.probe.test Service not available, too busy\r\n",
                                                 replies: ["221 2.0.0 Bye\r\n"], closeAfterReplies: true))
        let r = Self.probe(server.port)
        let s = try #require(r.sessions.last)
        #expect(s.outcome == .deferred)
        #expect(s.failedStage == .greeting)
        #expect(r.verdict.hasPrefix("greeting refused by"), "\(r.verdict)")
    }

    @Test func dropAfterMail() throws {
        let server = try #require(FakeSMTPServer(greeting: "220 mx.probe.test ESMTP\r\n",
                                                 replies: ["250-mx.probe.test\r\n250 8BITMIME\r\n"], closeAfterReplies: false))
        // After the EHLO reply the server reads MAIL FROM and hangs up (no more replies; the thread closes on EOF
        // only, so use a short timeout: the probe gives up waiting).
        let r = Self.probe(server.port, timeout: 0.5)
        let s = try #require(r.sessions.last)
        #expect(Int(s.attributes["banner-delay-ms"] ?? "") != nil)
        #expect(s.attributes["starttls"] == "not offered")
        #expect(s.exchanges.last?.command?.verb == "MAIL")
        #expect(s.exchanges.last?.reply == nil)
    }

    @Test func endlessContinuationIsBounded() throws {
        let flood = String(repeating: "250-x\r\n", count: 3000)
        let server = try #require(FakeSMTPServer(greeting: "220 mx.probe.test ESMTP\r\n", replies: [flood]))
        let r = Self.probe(server.port, timeout: 0.5)
        let s = try #require(r.sessions.last)
        #expect(r.transcript.count < 1_100)
        #expect(s.notes.contains { $0.text.contains("reply longer than") })
        #expect(s.exchanges.count >= 2)
    }
}

/// A listener whose accept queue is full drops new SYNs, so a connection attempt times out without
/// anything leaving loopback.
@Suite struct ConnectTimeoutTests {
    @Test func fullBacklogTimesOut() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        #expect(listen(fd, 0) == 0)
        let port = UInt16(bigEndian: addr.sin_port)
        let endpoint = Endpoint(address: "127.0.0.1", port: port)
        // Fill the queue (never accepted).
        var fillers: [Int32] = []
        defer { fillers.forEach { _ = close($0) } }
        var timedOut = false
        for _ in 0..<8 {
            switch connectTCP(endpoint, timeout: 0.3) {
            case .connected(let c): fillers.append(c)
            case .failed(let f, _):
                #expect(f == .timedOut)
                timedOut = true
            }
            if timedOut { break }
        }
        guard timedOut else {
            print("ConnectTimeoutTests: this kernel never dropped a SYN on a full backlog; timeout not tested here")
            return
        }
        var o = ProbeOptions(target: "bob@probe.test")
        o.server = "127.0.0.1:\(port)"
        o.dnsServer = TestDNSServer.shared?.endpoint ?? Endpoint(address: "127.0.0.1", port: 1)
        o.timeout = 0.3
        o.helo = "client.probe.test"
        let r = Prober(options: o).run()
        let s = try #require(r.sessions.last)
        #expect(s.connectFailure == .timedOut)
        #expect(s.outcome == .unreachable)
        #expect(r.verdict.hasSuffix("failed: timed out after 0.3s"), "\(r.verdict)")
        let ids = Set(Explainer(sessionRules: SessionRules.table + DNSRules.table).explain(s).findings.map(\.id))
        #expect(ids.contains("connect-failed"))
    }
}
