/// What record decryption needs to know about a cipher suite: its AEAD, its hash, and for TLS 1.2 how
/// much of the key block is the fixed IV.
struct TLSCipherSuite: Sendable, Equatable {
    var id: UInt16
    var aead: TLSAEADKey.Algorithm
    var hash: TLSCrypto.Hash
    var tls13: Bool

    /// TLS 1.2 (RFC 5288, RFC 7905): GCM keeps a 4-byte salt and sends 8 nonce bytes in each record;
    /// ChaCha20-Poly1305 keeps a 12-byte IV and sends none.
    var fixedIVLength: Int { tls13 || aead == .chacha20Poly1305 ? 12 : 4 }
    var explicitNonceLength: Int { tls13 || aead == .chacha20Poly1305 ? 0 : 8 }

    var name: String { TLSHandshakeWatcher.cipherName(id) }

    /// The suites that can be decrypted; CBC, RC4 and CCM suites are not (nil).
    static func lookup(_ id: UInt16) -> TLSCipherSuite? {
        switch id {
        case 0x1301: return TLSCipherSuite(id: id, aead: .aes128GCM, hash: .sha256, tls13: true)
        case 0x1302: return TLSCipherSuite(id: id, aead: .aes256GCM, hash: .sha384, tls13: true)
        case 0x1303: return TLSCipherSuite(id: id, aead: .chacha20Poly1305, hash: .sha256, tls13: true)
        case 0xC02B, 0xC02F, 0x009C, 0x009E:
            return TLSCipherSuite(id: id, aead: .aes128GCM, hash: .sha256, tls13: false)
        case 0xC02C, 0xC030, 0x009D, 0x009F:
            return TLSCipherSuite(id: id, aead: .aes256GCM, hash: .sha384, tls13: false)
        case 0xCCA8, 0xCCA9, 0xCCAA:
            return TLSCipherSuite(id: id, aead: .chacha20Poly1305, hash: .sha256, tls13: false)
        default:
            return nil
        }
    }
}
