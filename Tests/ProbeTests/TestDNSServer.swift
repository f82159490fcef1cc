import Foundation
import Probe
#if canImport(Glibc)
import Glibc
#endif

/// A tiny authoritative DNS responder on 127.0.0.1 (UDP and TCP, same ephemeral port) serving the test
/// zone, so the probe resolves test domains without leaving loopback. Names in `truncated` are answered
/// over UDP with only the TC bit set, so the client must retry over TCP.
final class TestDNSServer: Sendable {
    let port: UInt16
    let records: [DNSRecord]
    let truncated: Set<String>

    /// One server for the whole test process, started on first use.
    static let shared: TestDNSServer? = TestDNSServer(records: TestZone.records, truncated: ["big.probe.test"])

    init?(records: [DNSRecord], truncated: Set<String>) {
        self.records = records
        self.truncated = truncated
        guard let (udp, port) = loopbackSocket(SOCK_DGRAM) else { return nil }
        // TCP on the same port, for answers too big for UDP.
        guard let (tcp, _) = loopbackSocket(SOCK_STREAM, port: port) else { close(udp); return nil }
        self.port = port
        let server = self
        Thread.detachNewThread { server.serveUDP(udp) }
        Thread.detachNewThread { server.serveTCP(tcp) }
    }

    var endpoint: Endpoint { Endpoint(address: "127.0.0.1", port: port) }

    private func serveUDP(_ fd: Int32) {
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            var from = sockaddr_storage()
            var fromLen = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let n = buf.withUnsafeMutableBytes { b in
                withUnsafeMutablePointer(to: &from) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, b.baseAddress, b.count, 0, $0, &fromLen) }
                }
            }
            guard n > 0, let q = try? DNSMessage.decode(Array(buf[0..<n])) else { continue }
            var reply = answer(q)
            if let name = q.questions.first?.name.lowercased(), truncated.contains(name) {
                reply.answers = []
                reply.truncated = true
            }
            guard let out = try? reply.encode() else { continue }
            _ = out.withUnsafeBytes { b in
                withUnsafePointer(to: &from) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, b.baseAddress, b.count, 0, $0, fromLen) }
                }
            }
        }
    }

    private func serveTCP(_ fd: Int32) {
        while true {
            let c = accept(fd, nil, nil)
            guard c >= 0 else { continue }
            var got: [UInt8] = []
            var buf = [UInt8](repeating: 0, count: 4096)
            while got.count < 2 || got.count < 2 + (Int(got[0]) << 8 | Int(got[1])) {
                let n = buf.withUnsafeMutableBytes { recv(c, $0.baseAddress, $0.count, 0) }
                if n <= 0 { break }
                got += buf[0..<n]
            }
            if got.count >= 2, let q = try? DNSMessage.decode(Array(got.dropFirst(2))), let out = try? answer(q).encode() {
                let framed = [UInt8(out.count >> 8), UInt8(out.count & 0xFF)] + out
                _ = framed.withUnsafeBytes { send(c, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            }
            close(c)
        }
    }

    func answer(_ q: DNSMessage) -> DNSMessage {
        var r = DNSMessage(id: q.id, questions: q.questions)
        r.isResponse = true
        r.authoritative = true
        r.recursionAvailable = true
        guard let question = q.questions.first else { r.rcode = 1; return r }
        var name = question.name.lowercased()
        for _ in 0..<8 {
            if question.type != .cname, let c = records.first(where: { $0.name == name && $0.type == .cname }),
               case .cname(let target) = c.data {
                r.answers.append(c)
                name = target
                continue
            }
            break
        }
        r.answers += records.filter { $0.name == name && $0.type == question.type }
        // A validating resolver's mark on the names the zone treats as DNSSEC-signed.
        r.authenticData = TestZone.signed.contains(name)
        if r.answers.isEmpty && !records.contains(where: { $0.name == name || $0.name.hasSuffix("." + name) }) {
            r.rcode = 3
        }
        return r
    }
}

/// The test zone: probe.test and friends, all pointing at loopback.
enum TestZone {
    static let records: [DNSRecord] = [
        .mx("probe.test", 10, "mx.probe.test"),
        .a("mx.probe.test", "127.0.0.1"),
        .ptr("1.0.0.127.in-addr.arpa", "mx.probe.test"),
        // Relay test: another domain whose MX is the lab server (which only accepts probe.test).
        .mx("elsewhere.test", 10, "mx.probe.test"),
        // No MX: the domain's own address is the implicit MX.
        .a("nomx.probe.test", "127.0.0.1"),
        // RFC 7505 null MX.
        .mx("nullmx.probe.test", 0, "."),
        // First MX refuses connections (nothing listens on 127.0.0.2), the second is the lab.
        .mx("backup.probe.test", 10, "down.probe.test"),
        .mx("backup.probe.test", 20, "mx.probe.test"),
        .a("down.probe.test", "127.0.0.2"),
        // Only MX refuses connections.
        .mx("refused.probe.test", 10, "down.probe.test"),
        // MX pointing at an alias.
        .mx("cname.probe.test", 10, "alias.probe.test"),
        .cname("alias.probe.test", "mx.probe.test"),
        // MX naming an address instead of a host.
        .mx("iplit.probe.test", 10, "127.0.0.1"),
        // Answered over TCP only (UDP answer truncated).
        .mx("big.probe.test", 10, "mx.probe.test"),
        .mx("big.probe.test", 20, "mx2.probe.test"),
        .a("mx2.probe.test", "127.0.0.1"),
        // An MX left pointing at a host that was deleted, next to one that works.
        .mx("dangling.probe.test", 10, "gone.probe.test"),
        .mx("dangling.probe.test", 20, "mx.probe.test"),
        // Mail records for `smtpexplain records`: two SPF records (one with a long second string), a
        // verification token, DMARC without reports, a revoked DKIM key, no TLS-RPT record.
        .mx("records.test", 10, "mx.records.test"),
        txt("records.test", "v=spf1 mx include:_spf.records.test ", "-all"),
        txt("records.test", "v=spf1 ip4:192.0.2.0/24 -all"),
        txt("records.test", "site-verification=abc123"),
        txt("_dmarc.records.test", "v=DMARC1; p=quarantine"),
        txt("old._domainkey.records.test", "v=DKIM1; k=rsa; p="),
        txt("_mta-sts.records.test", "v=STSv1; id=20261206"),
        // The MTA-STS policy hosts, served by `TestHTTPSServer`: sts.test's answers 404.
        .a("mta-sts.records.test", "127.0.0.1"),
        .mx("sts.test", 10, "mx.probe.test"),
        txt("sts.test", "v=spf1 -all"),
        txt("_dmarc.sts.test", "v=DMARC1; p=reject; rua=mailto:dmarc@sts.test"),
        txt("_mta-sts.sts.test", "v=STSv1; id=1"),
        txt("_smtp._tls.sts.test", "v=TLSRPTv1; rua=mailto:tls-reports@sts.test"),
        .a("mta-sts.sts.test", "127.0.0.1"),
        // The lab's MX under an MTA-STS policy in enforce mode.
        .mx("sts.probe.test", 10, "mx.probe.test"),
        txt("_mta-sts.sts.probe.test", "v=STSv1; id=20261206"),
        .a("mta-sts.sts.probe.test", "127.0.0.1"),
        // DANE for `records`: the fixture certificate's key (`3 1 1`), and a record whose digest is cut short.
        .mx("dane.records.test", 10, "mx.dane.records.test"),
        .a("mx.dane.records.test", "127.0.0.1"),
        // A backup MX without TLSA records.
        .mx("dane.records.test", 20, "mx2.dane.records.test"),
        .a("mx2.dane.records.test", "127.0.0.1"),
        tlsa("_25._tcp.mx.dane.records.test", 3, 1, 1, fixtureKeySHA256),
        tlsa("_25._tcp.mx.dane.records.test", 3, 1, 1, "0c72ac70b745ac19998811b131d662c9ac69dbdb"),
        // DANE for the probe: the lab's MX under another name, whose TLSA record is for another key.
        .mx("danebad.probe.test", 10, "mx-danebad.probe.test"),
        .a("mx-danebad.probe.test", "127.0.0.1"),
        tlsa("_25._tcp.mx-danebad.probe.test", 3, 1, 1, fixtureKeySHA256),
    ]

    /// Names answered with the AD flag, as a validating resolver answers for a signed zone.
    static let signed: Set<String> = ["_25._tcp.mx.dane.records.test", "_25._tcp.mx-danebad.probe.test"]

    /// SHA-256 of the public key of `Fixtures/mta-sts.records.test.pem` (`openssl x509 -noout -pubkey | openssl
    /// pkey -pubin -outform DER | openssl dgst -sha256`).
    static let fixtureKeySHA256 = "01ed2c7534b6a8b2c32766b2e610861723a5fd2c798b940930fff14af2ee1478"

    /// A TLSA record: usage, selector, matching type and the association data in hex.
    static func tlsa(_ name: String, _ usage: UInt8, _ selector: UInt8, _ matching: UInt8, _ hex: String) -> DNSRecord {
        var b: [UInt8] = [usage, selector, matching]
        var i = hex.startIndex
        while i < hex.endIndex, let j = hex.index(i, offsetBy: 2, limitedBy: hex.endIndex) {
            b.append(UInt8(hex[i..<j], radix: 16) ?? 0)
            i = j
        }
        return DNSRecord(name: name, type: .tlsa, data: .other(b))
    }

    /// A TXT record of character-strings (each at most 255 bytes).
    static func txt(_ name: String, _ strings: String...) -> DNSRecord {
        var b: [UInt8] = []
        for s in strings { b.append(UInt8(s.utf8.count)); b += Array(s.utf8) }
        return DNSRecord(name: name, type: .txt, data: .other(b))
    }
}
