/// Decrypts one TLS connection, both directions, with secrets from a key log, so that the SMTP dialogue
/// after STARTTLS (or on port 465) can be read like the clear-text part.
///
/// TLS 1.3: handshake traffic secrets until each side's Finished, then the application traffic secrets;
/// KeyUpdate is followed. TLS 1.2: the master secret (`CLIENT_RANDOM`) expanded into the key block, keys
/// applying after each side's ChangeCipherSpec. AEAD suites only (AES-GCM, ChaCha20-Poly1305).
///
/// Anything unexpected (no secrets, a tag that does not verify, a gap in the stream, a record that cannot
/// be TLS) stops decryption of that direction with a note saying why; the caller then falls back to
/// counting encrypted bytes. Memory is bounded: one record per direction, plus at most `waitingLimit`
/// bytes of records that arrive before the ServerHello has been read.
struct TLSDecryptor {
    enum Event: Equatable {
        /// Decrypted application data of a direction (0 client, 1 server).
        case plaintext(dir: Int, [UInt8])
        /// Worth telling the reader, at the current packet of that direction.
        case note(dir: Int, String)
        /// Decryption of that direction has ended; what follows is only counted.
        case stopped(dir: Int)
    }

    private struct Side {
        var records = TLSRecordLayer()
        var messages = TLSHandshakeMessages()
        var key: TLSAEADKey?
        var iv: [UInt8] = []
        var seq: UInt64 = 0
        /// TLS 1.3: the current traffic secret (KeyUpdate derives the next one from it).
        var secret: [UInt8] = []
        /// TLS 1.2: the keys this side switches to at its ChangeCipherSpec.
        var armed: (key: TLSAEADKey, iv: [UInt8])?
        /// TLS 1.3: this side's Finished was read, so it uses its application secret.
        var finished = false
        /// Records that came before the ServerHello was read (ordering across directions).
        var waiting: [TLSRecordLayer.Record] = []
        var waitingBytes = 0
        var stopped = false
        var decryptedRecords = 0
        var applicationBytes: Int64 = 0
    }

    static let waitingLimit = 1 << 16
    /// RFC 8446 section 4.1.3: a ServerHello with this random is a HelloRetryRequest.
    static let helloRetryRandom: [UInt8] = [
        0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
        0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
    ]

    let keyLog: TLSKeyLog
    private var sides = [Side(), Side()]
    private var clientRandom: [UInt8]?
    private var helloRetry = false
    private(set) var suite: TLSCipherSuite?
    private(set) var version: UInt16?
    private var events: [Event] = []

    init(keyLog: TLSKeyLog) {
        self.keyLog = keyLog
    }

    func isStopped(_ d: Int) -> Bool { sides[d].stopped }
    func decryptedRecords(_ d: Int) -> Int { sides[d].decryptedRecords }
    func applicationBytes(_ d: Int) -> Int64 { sides[d].applicationBytes }
    var bufferedBytes: Int {
        sides[0].records.bufferedBytes + sides[1].records.bufferedBytes + sides[0].waitingBytes + sides[1].waitingBytes
            + sides[0].messages.bufferedBytes + sides[1].messages.bufferedBytes
    }

    /// Raw TLS bytes of direction `d`, in stream order.
    mutating func feed(_ b: UnsafeRawBufferPointer, dir d: Int) -> [Event] {
        guard !sides[d].stopped else { return [] }
        var complete: [TLSRecordLayer.Record] = []
        sides[d].records.feed(b) { complete.append($0) }
        for r in complete {
            record(r, dir: d)
        }
        if let failure = sides[d].records.failure {
            stop(d, "the \(Self.who(d))'s TLS stream holds \(failure): decryption of that direction stops here")
        }
        return takeEvents()
    }

    /// Bytes of direction `d` that the capture lost: the record boundaries and sequence numbers after them
    /// are unknown, so that direction cannot be decrypted any further.
    mutating func gap(dir d: Int, bytes: Int64) -> [Event] {
        stop(d, "\(bytes) bytes of the \(Self.who(d))'s TLS stream are missing from the capture: decryption of that direction stops here (the record sequence number is lost)")
        return takeEvents()
    }

    /// The connection ends: a record cut off by the end of the capture is worth a note.
    mutating func finish() -> [Event] {
        for d in 0..<2 where !sides[d].stopped && sides[d].records.bufferedBytes > 0 {
            note(d, "the last \(sides[d].records.bufferedBytes) bytes of the \(Self.who(d))'s TLS stream are an incomplete record (the capture ends inside it)")
        }
        return takeEvents()
    }

    private mutating func takeEvents() -> [Event] {
        let e = events
        events = []
        return e
    }

    // MARK: - Records

    private mutating func record(_ r: TLSRecordLayer.Record, dir d: Int) {
        guard !sides[d].stopped else { return }
        guard let suite else {
            beforeKeys(r, dir: d)
            return
        }
        if suite.tls13 { record13(r, dir: d, suite: suite) } else { record12(r, dir: d, suite: suite) }
    }

    /// Before the ServerHello is read: clear hellos are parsed; anything else waits for the keys.
    private mutating func beforeKeys(_ r: TLSRecordLayer.Record, dir d: Int) {
        if r.type == 22, sides[d].waiting.isEmpty {
            clearHandshake(r.fragment, dir: d)
            return
        }
        if r.type == 21, r.fragment.count == 2 { return }   // a clear alert: the handshake watcher reports it
        if r.type == 20, helloRetry { return }   // TLS 1.3 compatibility CCS around a HelloRetryRequest
        sides[d].waiting.append(r)
        sides[d].waitingBytes += r.fragment.count + 5
        if sides[d].waitingBytes > Self.waitingLimit {
            stop(d, "more than \(Self.waitingLimit / 1024) KiB of the \(Self.who(d))'s TLS records came before the server's ServerHello: decryption of that direction stops here")
        }
    }

    private mutating func clearHandshake(_ fragment: [UInt8], dir d: Int) {
        var messages: [(UInt8, [UInt8])] = []
        sides[d].messages.feed(fragment[...], wanted: { $0 == 1 || $0 == 2 }) { messages.append(($0, $1)) }
        for (type, body) in messages {
            if type == 1, d == 0 {
                guard let hello = TLSHandshakeWatcher.parseHello(body[...], isServer: false), hello.random.count == 32 else {
                    stop(0, "the client's ClientHello could not be read: decryption of that direction stops here")
                    return
                }
                clientRandom = hello.random
            } else if type == 2, d == 1, suite == nil {
                guard let hello = TLSHandshakeWatcher.parseHello(body[...], isServer: true), hello.random.count == 32,
                      let cipher = hello.cipher else {
                    stopBoth("the server's ServerHello could not be read, so the TLS keys cannot be derived")
                    return
                }
                serverHello(version: hello.version, cipher: cipher, random: hello.random)
            }
        }
    }

    /// The ServerHello fixes version and cipher: derive the keys of both directions.
    private mutating func serverHello(version v: UInt16, cipher: UInt16, random: [UInt8]) {
        if random == Self.helloRetryRandom {
            helloRetry = true   // the real ServerHello follows the client's second ClientHello
            return
        }
        guard let cr = clientRandom else {
            stopBoth("no ClientHello was seen for this connection, so its secrets cannot be looked up in the key log")
            return
        }
        let short = Bytes.hex(cr.prefix(8)) + "…"
        let versionName = TLSHandshakeWatcher.versionName(v)
        let cipherName = TLSHandshakeWatcher.cipherName(cipher)
        guard let s = TLSCipherSuite.lookup(cipher) else {
            stopBoth("TLS was not decrypted: \(cipherName) is not supported (only AES-GCM and ChaCha20-Poly1305 suites are)")
            return
        }
        guard keyLog.secrets[cr] != nil else {
            stopBoth("TLS was not decrypted: the key log has no secrets for this connection (client random \(short)); it was written for other connections")
            return
        }
        switch v {
        case 0x0304:
            guard s.tls13 else {
                stopBoth("TLS was not decrypted: \(cipherName) is not a TLS 1.3 cipher suite")
                return
            }
            guard let c = keyLog.secret("CLIENT_HANDSHAKE_TRAFFIC_SECRET", clientRandom: cr),
                  let sv = keyLog.secret("SERVER_HANDSHAKE_TRAFFIC_SECRET", clientRandom: cr) else {
                stopBoth("TLS was not decrypted: the key log lacks this connection's TLS 1.3 handshake traffic secrets (client random \(short))")
                return
            }
            guard c.count == s.hash.length, sv.count == s.hash.length else {
                stopBoth("TLS was not decrypted: the key log's secrets for client random \(short) are not \(s.hash.length) bytes as \(cipherName) needs")
                return
            }
            suite = s
            version = v
            install13(0, secret: c, suite: s)
            install13(1, secret: sv, suite: s)
        case 0x0303:
            guard !s.tls13 else {
                stopBoth("TLS was not decrypted: \(cipherName) is a TLS 1.3 suite in a TLS 1.2 ServerHello")
                return
            }
            guard let master = keyLog.secret("CLIENT_RANDOM", clientRandom: cr) else {
                stopBoth("TLS was not decrypted: the key log has no CLIENT_RANDOM (TLS 1.2 master secret) line for client random \(short)")
                return
            }
            // RFC 5246 section 6.3: the key block is client key, server key, client IV, server IV (AEAD: no MAC keys).
            let k = s.aead.keyLength, n = s.fixedIVLength
            guard let block = TLSCrypto.prf(secret: master, label: "key expansion", seed: random + cr, length: 2 * (k + n), hash: s.hash),
                  let ck = TLSAEADKey(s.aead, key: Array(block[0..<k])),
                  let sk = TLSAEADKey(s.aead, key: Array(block[k..<(2 * k)])) else {
                stopBoth("TLS was not decrypted: OpenSSL could not derive the TLS 1.2 keys")
                return
            }
            suite = s
            version = v
            sides[0].armed = (ck, Array(block[(2 * k)..<(2 * k + n)]))
            sides[1].armed = (sk, Array(block[(2 * k + n)..<(2 * k + 2 * n)]))
        default:
            stopBoth("TLS was not decrypted: \(versionName) is not supported (TLS 1.2 and 1.3 are)")
            return
        }
        note(1, "the TLS connection is decrypted with the key log (\(versionName), \(cipherName), client random \(short)): the dialogue that follows was encrypted on the wire")
        // Records that came early (the other direction's, in capture order) can be read now.
        for w in 0..<2 where !sides[w].waiting.isEmpty {
            let early = sides[w].waiting
            sides[w].waiting = []
            sides[w].waitingBytes = 0
            for r in early { record(r, dir: w) }
        }
    }

    // MARK: - TLS 1.3

    private mutating func install13(_ d: Int, secret: [UInt8], suite s: TLSCipherSuite) {
        guard let k = TLSCrypto.expandLabel(secret: secret, label: "key", length: s.aead.keyLength, hash: s.hash),
              let iv = TLSCrypto.expandLabel(secret: secret, label: "iv", length: TLSAEADKey.nonceLength, hash: s.hash),
              let key = TLSAEADKey(s.aead, key: k) else {
            stop(d, "OpenSSL could not derive the \(Self.who(d))'s TLS 1.3 keys: decryption of that direction stops here")
            return
        }
        sides[d].key = key
        sides[d].iv = iv
        sides[d].seq = 0
        sides[d].secret = secret
    }

    private mutating func record13(_ r: TLSRecordLayer.Record, dir d: Int, suite s: TLSCipherSuite) {
        switch r.type {
        case 20:
            return   // middlebox-compatibility ChangeCipherSpec: no meaning in TLS 1.3
        case 21 where r.fragment.count == 2:
            return   // a clear alert (the peer failed before deriving keys); the handshake watcher reports it
        case 22:
            if d == 0, clientRandom != nil, helloRetry {
                return   // the second ClientHello after a HelloRetryRequest
            }
            stop(d, "the \(Self.who(d)) sent a clear-text handshake record after the ServerHello, which TLS 1.3 does not: decryption of that direction stops here")
            return
        case 23:
            break
        default:
            stop(d, "the \(Self.who(d)) sent a TLS record of type \(r.type) where TLS 1.3 allows only encrypted ones: decryption of that direction stops here")
            return
        }
        guard let key = sides[d].key else { return }
        let nonce = Self.nonce(iv: sides[d].iv, seq: sides[d].seq)
        guard let plain = key.open(nonce: nonce, aad: r.header, sealed: r.fragment[...]) else {
            tagFailure(d)
            return
        }
        sides[d].seq &+= 1
        sides[d].decryptedRecords += 1
        // TLSInnerPlaintext: content, then the real content type, then zero padding.
        var end = plain.count
        while end > 0, plain[end - 1] == 0 { end -= 1 }
        guard end > 0 else {
            stop(d, "a decrypted TLS record from the \(Self.who(d)) has no content type: decryption of that direction stops here")
            return
        }
        let content = plain[0..<(end - 1)]
        switch plain[end - 1] {
        case 23:
            application(content, dir: d)
        case 22:
            handshake13(content, dir: d, suite: s)
        case 21:
            alert(content, dir: d)
        default:
            stop(d, "a decrypted TLS record from the \(Self.who(d)) has the unknown content type \(plain[end - 1]): decryption of that direction stops here")
        }
    }

    private mutating func handshake13(_ content: ArraySlice<UInt8>, dir d: Int, suite s: TLSCipherSuite) {
        var messages: [(UInt8, [UInt8])] = []
        sides[d].messages.feed(content, wanted: { $0 == 24 }) { messages.append(($0, $1)) }
        for (type, _) in messages {
            if type == 20, !sides[d].finished {
                // Finished ends this side's handshake: its next record uses the application secret.
                sides[d].finished = true
                let label = d == 0 ? "CLIENT_TRAFFIC_SECRET_0" : "SERVER_TRAFFIC_SECRET_0"
                guard let cr = clientRandom, let secret = keyLog.secret(label, clientRandom: cr), secret.count == s.hash.length else {
                    stop(d, "the key log has no usable \(label) for this connection: the \(Self.who(d))'s part of the dialogue cannot be decrypted")
                    return
                }
                install13(d, secret: secret, suite: s)
            } else if type == 24 {
                guard sides[d].finished,
                      let next = TLSCrypto.expandLabel(secret: sides[d].secret, label: "traffic upd", length: s.hash.length, hash: s.hash) else {
                    stop(d, "the \(Self.who(d)) sent a KeyUpdate that could not be followed: decryption of that direction stops here")
                    return
                }
                install13(d, secret: next, suite: s)
                note(d, "the \(Self.who(d)) updated its TLS keys (KeyUpdate); decryption follows the new keys")
            }
        }
    }

    // MARK: - TLS 1.2

    private mutating func record12(_ r: TLSRecordLayer.Record, dir d: Int, suite s: TLSCipherSuite) {
        guard let key = sides[d].key else {
            switch r.type {
            case 20:
                guard let armed = sides[d].armed else { return }
                sides[d].key = armed.key
                sides[d].iv = armed.iv
                sides[d].seq = 0
                sides[d].armed = nil
            case 22:
                clearHandshake(r.fragment, dir: d)
            case 21:
                return   // a clear alert; the handshake watcher reports it
            default:
                stop(d, "the \(Self.who(d)) sent TLS application data before its ChangeCipherSpec: decryption of that direction stops here")
            }
            return
        }
        if r.type == 20 {
            stop(d, "the \(Self.who(d)) changed cipher again (TLS renegotiation), which is not followed: decryption of that direction stops here")
            return
        }
        let explicit = s.explicitNonceLength
        guard r.fragment.count >= explicit + TLSAEADKey.tagLength else {
            stop(d, "a TLS record from the \(Self.who(d)) is too short to hold its nonce and tag: decryption of that direction stops here")
            return
        }
        let nonce = explicit > 0 ? sides[d].iv + r.fragment[0..<explicit] : Self.nonce(iv: sides[d].iv, seq: sides[d].seq)
        let length = r.fragment.count - explicit - TLSAEADKey.tagLength
        // RFC 5246 section 6.2.3.3: seq_num + type + version + plaintext length.
        var aad = Self.be64(sides[d].seq)
        aad += [r.type, UInt8(r.version >> 8), UInt8(r.version & 0xFF), UInt8(length >> 8), UInt8(length & 0xFF)]
        guard let plain = key.open(nonce: nonce, aad: aad, sealed: r.fragment[explicit...]) else {
            tagFailure(d)
            return
        }
        sides[d].seq &+= 1
        sides[d].decryptedRecords += 1
        switch r.type {
        case 23:
            application(plain[...], dir: d)
        case 22:
            var messages: [(UInt8, [UInt8])] = []
            sides[d].messages.feed(plain[...], wanted: { _ in false }) { messages.append(($0, $1)) }
            if messages.contains(where: { $0.0 == 0 || $0.0 == 1 }) {
                stop(d, "the \(Self.who(d)) started a TLS renegotiation, which is not followed: decryption of that direction stops here")
            }
        case 21:
            alert(plain[...], dir: d)
        default:
            stop(d, "the \(Self.who(d)) sent a TLS record of type \(r.type): decryption of that direction stops here")
        }
    }

    // MARK: - Content

    private mutating func application(_ content: ArraySlice<UInt8>, dir d: Int) {
        guard !content.isEmpty else { return }
        sides[d].applicationBytes += Int64(content.count)
        events.append(.plaintext(dir: d, Array(content)))
    }

    private mutating func alert(_ content: ArraySlice<UInt8>, dir d: Int) {
        guard content.count >= 2 else { return }
        let level = content[content.startIndex], description = content[content.startIndex + 1]
        guard description != 0 else { return }   // close_notify: the orderly end
        let name = Self.alertNames[description].map { " (\($0))" } ?? ""
        note(d, "the \(Self.who(d)) sent TLS alert \(description)\(name), \(level == 2 ? "fatal" : "warning"), inside the encrypted channel")
    }

    private mutating func tagFailure(_ d: Int) {
        let n = sides[d].decryptedRecords + 1
        stop(d, "the \(Self.who(d))'s encrypted TLS record \(n) did not authenticate with the key log's secrets (secrets of another connection, or bytes changed in the capture): decryption of that direction stops here")
    }

    // MARK: - Stopping

    private mutating func note(_ d: Int, _ text: String) {
        events.append(.note(dir: d, text))
    }

    private mutating func stop(_ d: Int, _ reason: String) {
        guard !sides[d].stopped else { return }
        note(d, reason)
        release(d)
    }

    /// Both directions, one note.
    private mutating func stopBoth(_ reason: String) {
        let d = sides[1].stopped ? 0 : 1
        guard !sides[d].stopped else { return }
        note(d, reason)
        release(0)
        release(1)
    }

    private mutating func release(_ d: Int) {
        guard !sides[d].stopped else { return }
        sides[d].stopped = true
        sides[d].key = nil
        sides[d].armed = nil
        sides[d].waiting = []
        sides[d].waitingBytes = 0
        sides[d].records = TLSRecordLayer()
        sides[d].messages = TLSHandshakeMessages()
        events.append(.stopped(dir: d))
    }

    // MARK: - Helpers

    /// RFC 8446 section 5.3 (and RFC 7905 for TLS 1.2 ChaCha20): the IV with the sequence number XORed
    /// into its last 8 bytes.
    static func nonce(iv: [UInt8], seq: UInt64) -> [UInt8] {
        var n = iv
        let s = be64(seq)
        for i in 0..<8 { n[n.count - 8 + i] ^= s[i] }
        return n
    }

    static func be64(_ v: UInt64) -> [UInt8] {
        (0..<8).map { UInt8((v >> (56 - 8 * UInt64($0))) & 0xFF) }
    }

    static func who(_ d: Int) -> String { d == 0 ? "client" : "server" }


    static let alertNames: [UInt8: String] = [
        10: "unexpected_message", 20: "bad_record_mac", 22: "record_overflow", 40: "handshake_failure",
        42: "bad_certificate", 43: "unsupported_certificate", 44: "certificate_revoked", 45: "certificate_expired",
        46: "certificate_unknown", 47: "illegal_parameter", 48: "unknown_ca", 49: "access_denied",
        50: "decode_error", 51: "decrypt_error", 70: "protocol_version", 71: "insufficient_security",
        80: "internal_error", 86: "inappropriate_fallback", 90: "user_canceled", 109: "missing_extension",
        110: "unsupported_extension", 112: "unrecognized_name", 116: "certificate_required",
        120: "no_application_protocol",
    ]
}
