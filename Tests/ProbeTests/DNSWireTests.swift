import Testing
@testable import Probe

@Suite struct DNSWireTests {
    static func sampleResponse() -> DNSMessage {
        var m = DNSMessage(id: 0xBEEF, questions: [DNSQuestion(name: "example.com", type: .mx)])
        m.isResponse = true
        m.recursionAvailable = true
        m.answers = [.mx("example.com", 10, "mx1.example.com"), .mx("example.com", 20, "mx2.example.com")]
        m.authorities = [DNSRecord(name: "example.com", type: .ns, data: .ns("ns.example.com"))]
        m.additionals = [.a("mx1.example.com", "192.0.2.1"), .aaaa("mx1.example.com", "2001:db8::1"),
                         .cname("www.example.com", "example.com"), .ptr("1.2.0.192.in-addr.arpa", "mx1.example.com"),
                         DNSRecord(name: "example.com", type: .txt, data: .other([3, 0x61, 0x62, 0x63]))]
        return m
    }

    @Test func roundTrip() throws {
        let m = Self.sampleResponse()
        let decoded = try DNSMessage.decode(try m.encode())
        #expect(decoded == m)
        #expect(decoded.rcodeName == "NOERROR")
    }

    @Test func queryHeader() throws {
        let q = try DNSMessage.query(id: 0x1234, name: "example.com.", type: .aaaa).encode()
        #expect(Array(q.prefix(12)) == [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0])
        #expect(Array(q[12...]) == [7] + Array("example".utf8) + [3] + Array("com".utf8) + [0, 0, 28, 0, 1])
    }

    /// A response as servers write it: owner names and the MX target compressed with pointers.
    static let compressed: [UInt8] = {
        var p: [UInt8] = [0xAB, 0xCD, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0]
        p += [7] + Array("example".utf8) + [3] + Array("com".utf8) + [0]   // offset 12
        p += [0, 15, 0, 1]
        p += [0xC0, 12, 0, 15, 0, 1, 0, 0, 0x0E, 0x10]                     // owner: pointer to 12
        p += [0, 7, 0, 10, 2] + Array("mx".utf8) + [0xC0, 12]              // rdata: 10 mx.<pointer>
        return p
    }()

    @Test func compressionPointers() throws {
        let m = try DNSMessage.decode(Self.compressed)
        #expect(m.id == 0xABCD && m.isResponse && m.recursionAvailable)
        #expect(m.questions == [DNSQuestion(name: "example.com", type: .mx)])
        #expect(m.answers.count == 1)
        #expect(m.answers[0].name == "example.com")
        #expect(m.answers[0].ttl == 3600)
        #expect(m.answers[0].data == .mx(preference: 10, exchange: "mx.example.com"))
    }

    @Test func pointerLoopsAndForwardPointersAreRejected() {
        var selfLoop = Array(Self.compressed.prefix(12))
        selfLoop[5] = 1
        selfLoop += [0xC0, 12, 0, 1, 0, 1]           // a pointer to itself
        #expect(throws: DNSWireError.pointerLoop) { try DNSMessage.decode(selfLoop) }
        var forward = Array(Self.compressed.prefix(12))
        forward += [0xC0, 14, 0, 0, 1, 0, 1]         // points past itself
        #expect(throws: DNSWireError.self) { try DNSMessage.decode(forward) }
        var twoStep = Self.compressed
        // Answer owner points at a pointer that points back at it: caught by "backwards only".
        twoStep[30] = 29
        #expect(throws: DNSWireError.self) { try DNSMessage.decode(twoStep) }
    }

    @Test func everyTruncationFailsCleanly() throws {
        let full = try Self.sampleResponse().encode()
        for n in 0..<full.count {
            _ = try? DNSMessage.decode(Array(full.prefix(n)))
        }
        for n in 0..<Self.compressed.count {
            #expect(throws: DNSWireError.self) { try DNSMessage.decode(Array(Self.compressed.prefix(n))) }
        }
    }

    @Test func hostileBytesNeverCrash() throws {
        var rng = SplitMix(seed: 42)
        let base = try Self.sampleResponse().encode()
        for i in 0..<20_000 {
            var b: [UInt8]
            if i % 2 == 0 {
                b = (0..<Int(rng.next() % 300)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            } else {
                b = i % 4 == 1 ? base : Self.compressed
                for _ in 0..<(1 + Int(rng.next() % 6)) {
                    b[Int(rng.next() % UInt64(b.count))] = UInt8(truncatingIfNeeded: rng.next())
                }
            }
            _ = try? DNSMessage.decode(b)
        }
        // Counts that promise far more than the bytes hold.
        let liar: [UInt8] = [0, 1, 0x81, 0x80, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]
        #expect(throws: DNSWireError.truncated) { try DNSMessage.decode(liar) }
    }

    @Test func badRDataLengths() {
        var p = Array(Self.compressed.prefix(29))
        p += [0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 3, 1, 2, 3]   // an A record of 3 bytes
        p[7] = 1
        #expect(throws: DNSWireError.self) { try DNSMessage.decode(p) }
    }

    @Test func nameLimits() {
        let long = String(repeating: "a", count: 64) + ".example"
        #expect(throws: DNSWireError.badLabel) { try DNSMessage.query(id: 1, name: long, type: .a).encode() }
        let tooLong = Array(repeating: String(repeating: "b", count: 60), count: 5).joined(separator: ".")
        #expect(throws: DNSWireError.nameTooLong) { try DNSMessage.query(id: 1, name: tooLong, type: .a).encode() }
        #expect(throws: DNSWireError.badLabel) { try DNSMessage.query(id: 1, name: "a..b", type: .a).encode() }
    }

    @Test func oddLabelBytesAreEscaped() throws {
        var p: [UInt8] = [0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0]
        p += [3, 0x61, 0x2E, 0x07, 0]   // label "a.\a"
        p += [0, 1, 0, 1]
        let m = try DNSMessage.decode(p)
        #expect(m.questions[0].name == "a\\.\\007")
    }

    @Test func reverseNames() {
        #expect(DNSMessage.reverseName("192.0.2.25") == "25.2.0.192.in-addr.arpa")
        #expect(DNSMessage.reverseName("2001:db8::1")
                == "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa")
        #expect(DNSMessage.reverseName("mx.example.com") == nil)
    }

    @Test func endpointsAndResolvConf() {
        #expect(Endpoint.parse("192.0.2.53", defaultPort: 53) == Endpoint(address: "192.0.2.53", port: 53))
        #expect(Endpoint.parse("127.0.0.1:5353", defaultPort: 53) == Endpoint(address: "127.0.0.1", port: 5353))
        #expect(Endpoint.parse("[2001:db8::53]:5353", defaultPort: 53) == Endpoint(address: "2001:db8::53", port: 5353))
        #expect(Endpoint.parse("2001:db8::53", defaultPort: 53) == Endpoint(address: "2001:db8::53", port: 53))
        #expect(Endpoint.parse("ns.example.com", defaultPort: 53) == nil)
        #expect(Endpoint.parse("127.0.0.1:99999", defaultPort: 53) == nil)
        let conf = "# generated\nsearch example.com\nnameserver fe80::1%eth0\nnameserver 10.0.0.2\n"
        #expect(DNSClient.systemServer(resolvConf: conf) == Endpoint(address: "fe80::1", port: 53))
        #expect(DNSClient.systemServer(resolvConf: "options ndots:2\nnameserver bogus\nnameserver 10.0.0.2")
                == Endpoint(address: "10.0.0.2", port: 53))
        #expect(DNSClient.systemServer(resolvConf: "") == Endpoint(address: "127.0.0.1", port: 53))
    }
}

/// Deterministic random numbers for the fuzz loop.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
