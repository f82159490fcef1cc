import COpenSSL
import TranscriptModel
#if canImport(Glibc)
import Glibc
#endif

/// What the STARTTLS handshake showed: protocol, cipher, the certificate and how it verifies against the
/// system trust store and the MX host name.
public struct TLSResult: Sendable, Hashable {
    public var version: String
    public var cipher: String
    public var subject: String?
    public var issuer: String?
    /// `YYYY-MM-DD` of the certificate's notAfter.
    public var notAfter: String?
    public var expired: Bool
    /// Verification as `openssl s_client` prints it: `0 (ok)`, `18 (self-signed certificate)`.
    public var verify: String
    /// The certificate names the host we connected to (subject CN or SAN), nil when it was not checked.
    public var nameMatches: Bool?
    /// The certificates the server sent, its own first, as DANE compares them (at most 8).
    public var chain: [DANECertificate] = []
}

/// A certificate in the two forms a TLSA record can match (RFC 6698 §2.1.2): the whole certificate (selector 0)
/// and its SubjectPublicKeyInfo (selector 1), both DER.
public struct DANECertificate: Sendable, Hashable {
    public var der: [UInt8]
    public var spki: [UInt8]
    public init(der: [UInt8], spki: [UInt8]) {
        self.der = der
        self.spki = spki
    }

    /// A PEM certificate (the first in the text), or nil when it does not parse.
    public init?(pem: String) {
        let bytes = Array(pem.utf8)
        guard let bio = bytes.withUnsafeBufferPointer({ BIO_new_mem_buf($0.baseAddress, Int32($0.count)) }) else { return nil }
        defer { BIO_free(bio) }
        guard let cert = PEM_read_bio_X509(bio, nil, nil, nil) else { return nil }
        defer { X509_free(cert) }
        self = TLSConnection.daneForms(cert)
        guard !der.isEmpty, !spki.isEmpty else { return nil }
    }
}

/// An OpenSSL client connection over an already connected non-blocking socket. Verification never aborts
/// the handshake: its result is recorded and explained instead (the probe wants to see the dialogue).
final class TLSConnection {
    private let ctx: OpaquePointer
    private let ssl: OpaquePointer

    private init(ctx: OpaquePointer, ssl: OpaquePointer) {
        self.ctx = ctx
        self.ssl = ssl
    }

    deinit {
        SSL_free(ssl)
        SSL_CTX_free(ctx)
    }

    static func errorText() -> String {
        var parts: [String] = []
        while case let e = ERR_get_error(), e != 0, parts.count < 4 {
            var buf = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(e, &buf, buf.count)
            parts.append(String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return parts.isEmpty ? "handshake failed" : parts.joined(separator: "; ")
    }

    /// Handshake as a client; `host` is used for SNI and the name check unless it is an address.
    /// `trustFile`: PEM certificates trusted besides the system store (tests).
    static func handshake(fd: Int32, host: String, timeout: Double, trustFile: String? = nil) -> Result<(TLSConnection, TLSResult), TLSFailure> {
        // OpenSSL writes with write(2): a peer that closed first must give EPIPE, not kill the process.
        _ = ignoreBrokenPipe
        guard let ctx = SSL_CTX_new(TLS_client_method()) else { return .failure(TLSFailure(text: errorText())) }
        SSL_CTX_set_default_verify_paths(ctx)
        if let trustFile { _ = SSL_CTX_load_verify_locations(ctx, trustFile, nil) }
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nil)
        guard let ssl = SSL_new(ctx) else {
            SSL_CTX_free(ctx)
            return .failure(TLSFailure(text: errorText()))
        }
        let conn = TLSConnection(ctx: ctx, ssl: ssl)
        SSL_set_fd(ssl, fd)
        let isName = DNSMessage.family(of: host) == nil
        if isName {
            _ = host.withCString { SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, Int(TLSEXT_NAMETYPE_host_name), UnsafeMutableRawPointer(mutating: $0)) }
            _ = SSL_set1_host(ssl, host)
        }
        let deadline = monotonicNow() + timeout
        while true {
            let r = SSL_connect(ssl)
            if r == 1 { break }
            let e = SSL_get_error(ssl, r)
            if e == SSL_ERROR_WANT_READ, waitFor(fd, Int16(POLLIN), until: deadline) { continue }
            if e == SSL_ERROR_WANT_WRITE, waitFor(fd, Int16(POLLOUT), until: deadline) { continue }
            if e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE {
                return .failure(TLSFailure(text: "TLS handshake timed out after \(formatSeconds(timeout))"))
            }
            return .failure(TLSFailure(text: errorText()))
        }
        var result = TLSResult(version: String(cString: SSL_get_version(ssl)),
                               cipher: SSL_get_current_cipher(ssl).map { String(cString: SSL_CIPHER_get_name($0)) } ?? "?",
                               expired: false, verify: "")
        let code = SSL_get_verify_result(ssl)
        result.verify = "\(code) (\(String(cString: X509_verify_cert_error_string(code))))"
        if let cert = SSL_get1_peer_certificate(ssl) {
            defer { X509_free(cert) }
            result.subject = nameText(X509_get_subject_name(cert))
            result.issuer = nameText(X509_get_issuer_name(cert))
            if let t = X509_get0_notAfter(cert) {
                var tmv = tm()
                if ASN1_TIME_to_tm(t, &tmv) == 1 {
                    result.notAfter = padded(Int(tmv.tm_year) + 1900, 4) + "-" + padded(Int(tmv.tm_mon) + 1, 2)
                        + "-" + padded(Int(tmv.tm_mday), 2)
                }
                result.expired = X509_cmp_current_time(t) < 0
            }
            if isName {
                result.nameMatches = host.withCString { X509_check_host(cert, $0, strlen($0), 0, nil) } == 1
            }
            result.chain = [daneForms(cert)]
            // The rest of what the server sent (its own certificate comes first in the stack, or not at all).
            if let stack = SSL_get_peer_cert_chain(ssl) {
                let n = min(Int(OPENSSL_sk_num(stack)), 8)
                for i in 0..<n {
                    guard let raw = OPENSSL_sk_value(stack, Int32(i)) else { continue }
                    let c = daneForms(OpaquePointer(raw))
                    if !c.der.isEmpty, !result.chain.contains(c) { result.chain.append(c) }
                }
            }
        } else {
            result.verify = "no certificate"
        }
        return .success((conn, result))
    }

    /// The DER of a certificate and of its public key.
    static func daneForms(_ cert: OpaquePointer) -> DANECertificate {
        func der(_ encode: (UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?) -> Int32) -> [UInt8] {
            let n = encode(nil)
            guard n > 0, n < 1 << 20 else { return [] }
            var out = [UInt8](repeating: 0, count: Int(n))
            out.withUnsafeMutableBufferPointer { b in
                var p = b.baseAddress
                _ = encode(&p)
            }
            return out
        }
        return DANECertificate(der: der { i2d_X509(cert, $0) },
                               spki: der { i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), $0) })
    }

    private static let ignoreBrokenPipe: Void = { signal(SIGPIPE, SIG_IGN) }()

    private static func nameText(_ name: OpaquePointer?) -> String? {
        guard let name else { return nil }
        var buf = [CChar](repeating: 0, count: 512)
        guard X509_NAME_oneline(name, &buf, Int32(buf.count)) != nil else { return nil }
        return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    enum ReadResult { case data(Int), eof, timeout, error(String) }

    func read(into buf: inout [UInt8], fd: Int32, deadline: Double) -> ReadResult {
        while true {
            let n = buf.withUnsafeMutableBytes { SSL_read(ssl, $0.baseAddress, Int32($0.count)) }
            if n > 0 { return .data(Int(n)) }
            let e = SSL_get_error(ssl, n)
            switch e {
            case SSL_ERROR_WANT_READ:
                if !waitFor(fd, Int16(POLLIN), until: deadline) { return .timeout }
            case SSL_ERROR_WANT_WRITE:
                if !waitFor(fd, Int16(POLLOUT), until: deadline) { return .timeout }
            case SSL_ERROR_ZERO_RETURN:
                return .eof
            case SSL_ERROR_SYSCALL:
                // An unclean close (no close_notify) is how most MTAs end the connection after QUIT.
                return .eof
            default:
                return .error(Self.errorText())
            }
        }
    }

    func write(_ bytes: [UInt8], fd: Int32, deadline: Double) -> Bool {
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { SSL_write(ssl, $0.baseAddress! + off, Int32(bytes.count - off)) }
            if n > 0 { off += Int(n); continue }
            let e = SSL_get_error(ssl, n)
            if e == SSL_ERROR_WANT_READ, waitFor(fd, Int16(POLLIN), until: deadline) { continue }
            if e == SSL_ERROR_WANT_WRITE, waitFor(fd, Int16(POLLOUT), until: deadline) { continue }
            return false
        }
        return true
    }
}

struct TLSFailure: Error {
    var text: String
}

func padded(_ n: Int, _ width: Int) -> String {
    let s = String(n)
    return String(repeating: "0", count: max(0, width - s.count)) + s
}

/// DANE for SMTP (RFC 7672 §3.1): which TLSA record the server's certificates satisfy. Usage 3 (DANE-EE) matches
/// the server's own certificate; usage 2 (DANE-TA) a certificate of the chain it sent (the chain's signatures
/// are not checked here, only that the trust anchor is there). Usages 0 and 1 are unusable for SMTP.
public enum DANEMatch {
    public static func matching(_ records: [DNSFacts.TLSARecord], chain: [DANECertificate]) -> DNSFacts.TLSARecord? {
        guard let leaf = chain.first else { return nil }
        for r in records where r.usage == 2 || r.usage == 3 {
            let candidates = r.usage == 3 ? [leaf] : Array(chain.dropFirst())
            for c in candidates where digest(r.selector == 0 ? c.der : c.spki, matching: r.matching, selector: r.selector) == r.data {
                return r
            }
        }
        return nil
    }

    /// The association data a record of this matching type holds for `data`, in lower-case hex.
    static func digest(_ data: [UInt8], matching: Int, selector: Int) -> String? {
        guard !data.isEmpty, selector == 0 || selector == 1 else { return nil }
        let bytes: [UInt8]
        switch matching {
        case 0: bytes = data
        case 1:
            var md = [UInt8](repeating: 0, count: 32)
            _ = data.withUnsafeBufferPointer { SHA256($0.baseAddress, data.count, &md) }
            bytes = md
        case 2:
            var md = [UInt8](repeating: 0, count: 64)
            _ = data.withUnsafeBufferPointer { SHA512($0.baseAddress, data.count, &md) }
            bytes = md
        default: return nil
        }
        return hex(bytes)
    }

    /// Lower-case hex, as TLSA association data is kept.
    static func hex(_ bytes: some Collection<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 0x0F)]) }
        return String(decoding: out, as: UTF8.self)
    }
}
