import COpenSSL
import Foundation
@testable import TranscriptModel

/// Test-side TLS: records sealed with OpenSSL directly (key, nonce and additional data computed here, not by
/// the reader), hellos, and the fixtures `scripts/tls-fixtures` wrote from real TLS sessions.
enum TLSTest {
    static func hex(_ s: String) -> [UInt8] {
        let digits = Array(s.filter { !$0.isWhitespace }.utf8)
        precondition(digits.count % 2 == 0)
        return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(decoding: digits[$0..<($0 + 2)], as: UTF8.self), radix: 16)! }
    }

    /// AEAD seal (ciphertext + 16-byte tag) with OpenSSL's EVP interface.
    static func seal(_ alg: TLSAEADKey.Algorithm, key: [UInt8], nonce: [UInt8], aad: [UInt8], plaintext: [UInt8]) -> [UInt8] {
        let ctx = EVP_CIPHER_CTX_new()!
        defer { EVP_CIPHER_CTX_free(ctx) }
        let cipher = alg == .aes128GCM ? EVP_aes_128_gcm() : alg == .aes256GCM ? EVP_aes_256_gcm() : EVP_chacha20_poly1305()
        precondition(EVP_EncryptInit_ex(ctx, cipher, nil, nil, nil) == 1)
        precondition(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, Int32(nonce.count), nil) == 1)
        precondition(EVP_EncryptInit_ex(ctx, nil, nil, key, nonce) == 1)
        var n: Int32 = 0
        precondition(EVP_EncryptUpdate(ctx, nil, &n, aad, Int32(aad.count)) == 1)
        var out = [UInt8](repeating: 0, count: plaintext.count + 32)
        precondition(EVP_EncryptUpdate(ctx, &out, &n, plaintext, Int32(plaintext.count)) == 1)
        var total = Int(n)
        out.withUnsafeMutableBufferPointer { o in
            precondition(EVP_EncryptFinal_ex(ctx, o.baseAddress! + total, &n) == 1)
        }
        total += Int(n)
        var tag = [UInt8](repeating: 0, count: 16)
        precondition(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, &tag) == 1)
        return Array(out[0..<total]) + tag
    }

    /// One direction's TLS 1.3 record protection, keyed from a traffic secret.
    struct Writer13 {
        var alg: TLSAEADKey.Algorithm
        var key: [UInt8]
        var iv: [UInt8]
        var seq: UInt64 = 0

        init(secret: [UInt8], alg: TLSAEADKey.Algorithm) {
            let hash: TLSCrypto.Hash = secret.count == 48 ? .sha384 : .sha256
            self.alg = alg
            key = TLSCrypto.expandLabel(secret: secret, label: "key", length: alg.keyLength, hash: hash)!
            iv = TLSCrypto.expandLabel(secret: secret, label: "iv", length: 12, hash: hash)!
        }

        /// The nonce of record `seq`: the IV with the big-endian sequence number XORed into its end.
        func nonce(_ seq: UInt64) -> [UInt8] {
            var n = iv
            for i in 0..<8 { n[4 + i] ^= UInt8((seq >> UInt64(56 - 8 * i)) & 0xFF) }
            return n
        }

        /// An encrypted record: `content`, inner type, `padding` zeros; header 17 03 03 length.
        mutating func record(_ content: [UInt8], type: UInt8 = 23, padding: Int = 0, seq forced: UInt64? = nil) -> [UInt8] {
            let inner = content + [type] + [UInt8](repeating: 0, count: padding)
            let length = inner.count + 16
            let header: [UInt8] = [23, 3, 3, UInt8(length >> 8), UInt8(length & 0xFF)]
            let sealed = TLSTest.seal(alg, key: key, nonce: nonce(forced ?? seq), aad: header, plaintext: inner)
            seq += 1
            return header + sealed
        }
    }

    static let clientRandom = [UInt8](repeating: 7, count: 32)   // CaptureTestSupport.clientHello's

    /// A TLS 1.3 ServerHello record choosing `cipher`.
    static func serverHello13(cipher: UInt16) -> [UInt8] {
        let sv: [UInt8] = Frames.be16(43) + Frames.be16(2) + [0x03, 0x04]
        var body: [UInt8] = [0x03, 0x03] + [UInt8](repeating: 9, count: 32) + [0]
        body += Frames.be16(cipher) + [0]
        body += Frames.be16(UInt16(sv.count)) + sv
        let hs: [UInt8] = [2, 0, UInt8(body.count >> 8), UInt8(body.count & 0xFF)] + body
        return [0x16, 0x03, 0x03] + Frames.be16(UInt16(hs.count)) + hs
    }

    static let ccs: [UInt8] = [0x14, 0x03, 0x03, 0x00, 0x01, 0x01]
    static let encryptedExtensions: [UInt8] = [8, 0, 0, 2, 0, 0]
    static func finished(_ hashLength: Int) -> [UInt8] { [20, 0, 0, UInt8(hashLength)] + [UInt8](repeating: 0xF1, count: hashLength) }

    /// Secrets of the synthetic TLS 1.3 sessions (SHA-384 sized: TLS_AES_256_GCM_SHA384).
    struct Secrets {
        var clientHandshake = [UInt8](repeating: 0x11, count: 48)
        var serverHandshake = [UInt8](repeating: 0x22, count: 48)
        var clientTraffic = [UInt8](repeating: 0x33, count: 48)
        var serverTraffic = [UInt8](repeating: 0x44, count: 48)

        func keyLog(random: [UInt8] = TLSTest.clientRandom) -> TLSKeyLog {
            let r = Bytes.hex(random)
            return TLSKeyLog(parsing: """
            CLIENT_HANDSHAKE_TRAFFIC_SECRET \(r) \(Bytes.hex(clientHandshake))
            SERVER_HANDSHAKE_TRAFFIC_SECRET \(r) \(Bytes.hex(serverHandshake))
            CLIENT_TRAFFIC_SECRET_0 \(r) \(Bytes.hex(clientTraffic))
            SERVER_TRAFFIC_SECRET_0 \(r) \(Bytes.hex(serverTraffic))
            """)
        }
    }

    /// A STARTTLS session in TLS 1.3 (TLS_AES_256_GCM_SHA384) built record by record. `afterHandshake` may
    /// send more (and change the writers) before the encrypted `dialogue`; `edit` may change a dialogue
    /// record (by index) or return nil to lose it from the capture.
    static func starttlsSession(secrets: Secrets = Secrets(),
                                dialogue: [(fromClient: Bool, text: String)] = TLSTest.dialogue,
                                afterHandshake: ((inout Conversation, inout Writer13, inout Writer13) -> Void)? = nil,
                                edit: ((Int, [UInt8]) -> [UInt8]?)? = nil) -> Conversation {
        var c = Conversation()
        c.handshake()
        c.server("220 mx.example.com ESMTP\r\n")
        c.client("EHLO client.example.net\r\n")
        c.server("250-mx.example.com\r\n250 STARTTLS\r\n")
        c.client("STARTTLS\r\n")
        c.server("220 2.0.0 Ready to start TLS\r\n")
        c.send(fromClient: true, CaptureTestSupport.clientHello(sni: "mx.example.com"))
        var serverHS = Writer13(secret: secrets.serverHandshake, alg: .aes256GCM)
        var clientHS = Writer13(secret: secrets.clientHandshake, alg: .aes256GCM)
        c.send(fromClient: false, serverHello13(cipher: 0x1302) + ccs + serverHS.record(encryptedExtensions + finished(48), type: 22))
        c.send(fromClient: true, ccs + clientHS.record(finished(48), type: 22))
        var client = Writer13(secret: secrets.clientTraffic, alg: .aes256GCM)
        var server = Writer13(secret: secrets.serverTraffic, alg: .aes256GCM)
        afterHandshake?(&c, &client, &server)
        for (i, line) in dialogue.enumerated() {
            let record = line.fromClient ? client.record(Array(line.text.utf8)) : server.record(Array(line.text.utf8))
            if let edit {
                guard let changed = edit(i, record) else {
                    c.lose(fromClient: line.fromClient, String(repeating: "x", count: record.count))
                    continue
                }
                c.send(fromClient: line.fromClient, changed)
            } else {
                c.send(fromClient: line.fromClient, record)
            }
        }
        c.close()
        return c
    }

    static let dialogue: [(fromClient: Bool, text: String)] = [
        (true, "EHLO client.example.net\r\n"), (false, "250-mx.example.com\r\n250 AUTH PLAIN\r\n"),
        (true, "AUTH PLAIN AGFsaWNlAHMzY3JldA==\r\n"), (false, "235 2.7.0 Authentication successful\r\n"),
        (true, "MAIL FROM:<alice@example.net>\r\n"), (false, "250 2.1.0 Ok\r\n"),
        (true, "RCPT TO:<bob@example.com>\r\n"), (false, "250 2.1.5 Ok\r\n"),
        (true, "DATA\r\n"), (false, "354 go ahead\r\n"),
        (true, "Subject: secret\r\n\r\nhello\r\n.\r\n"), (false, "250 2.0.0 Ok: queued as 9C1D\r\n"),
        (true, "QUIT\r\n"), (false, "221 2.0.0 Bye\r\n"),
    ]

    // MARK: - Fixtures from real TLS stacks

    struct Fixture {
        var name: String
        var port: UInt16
        var keyLog: TLSKeyLog
        var flights: [(fromClient: Bool, bytes: [UInt8])]

        /// The flights as one TCP connection; `edit` may drop or change flights (by index).
        func conversation(edit: ((Int, inout [UInt8]) -> Bool)? = nil) -> Conversation {
            var c = Conversation()
            c.serverPort = port
            c.handshake()
            for (i, f) in flights.enumerated() {
                var bytes = f.bytes
                if let edit, !edit(i, &bytes) {
                    if f.fromClient { c.lose(fromClient: true, String(repeating: "x", count: bytes.count)) } else {
                        c.lose(fromClient: false, String(repeating: "x", count: bytes.count))
                    }
                    continue
                }
                // MTU-sized segments, as on a wire.
                var at = 0
                while at < bytes.count {
                    let end = min(bytes.count, at + 1448)
                    c.send(fromClient: f.fromClient, Array(bytes[at..<end]))
                    at = end
                }
            }
            c.close()
            return c
        }
    }

    static let fixtureNames = [
        "tls13-aes128gcm-starttls", "tls13-chacha20-implicit", "tls12-aes128gcm-starttls",
        "tls12-aes256gcm-starttls", "tls12-chacha20-starttls", "tls12-cbc-starttls",
    ]

    static func fixture(_ name: String) throws -> Fixture {
        let path = repoRoot.appendingPathComponent("Tests/TLS/\(name).txt").path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var port: UInt16 = 25
        var keyLines: [String] = []
        var flights: [(Bool, [UInt8])] = []
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            switch parts[0] {
            case "P": port = UInt16(parts[1])!
            case "K": keyLines.append(parts[1])
            case "C", "S": flights.append((parts[0] == "C", hex(parts[1])))
            default: break
            }
        }
        return Fixture(name: name, port: port, keyLog: TLSKeyLog(parsing: keyLines.joined(separator: "\n")),
                       flights: flights.map { (fromClient: $0.0, bytes: $0.1) })
    }
}
