import COpenSSL

/// The OpenSSL primitives record decryption needs: TLS 1.3 HKDF-Expand-Label, the TLS 1.2 PRF, and AEAD
/// opening. Nothing here is implemented by hand; these are thin EVP wrappers.
enum TLSCrypto {
    enum Hash: Sendable {
        case sha256, sha384
        var length: Int { self == .sha256 ? 32 : 48 }
        var md: OpaquePointer? { self == .sha256 ? EVP_sha256() : EVP_sha384() }
    }

    /// RFC 8446 section 7.1: HKDF-Expand(secret, HkdfLabel{length, "tls13 " + label, context}, length).
    static func expandLabel(secret: [UInt8], label: String, context: [UInt8] = [], length: Int, hash: Hash) -> [UInt8]? {
        let full = Array(("tls13 " + label).utf8)
        guard length > 0, length <= 255 * hash.length, full.count <= 255, context.count <= 255, !secret.isEmpty else {
            return nil
        }
        var info: [UInt8] = [UInt8(length >> 8), UInt8(length & 0xFF), UInt8(full.count)] + full
        info.append(UInt8(context.count))
        info += context
        return derive(EVP_PKEY_HKDF, length: length) { ctx in
            EVP_PKEY_CTX_set_hkdf_mode(ctx, EVP_PKEY_HKDEF_MODE_EXPAND_ONLY) > 0
                && EVP_PKEY_CTX_set_hkdf_md(ctx, hash.md) > 0
                && EVP_PKEY_CTX_set1_hkdf_key(ctx, secret, Int32(secret.count)) > 0
                && EVP_PKEY_CTX_add1_hkdf_info(ctx, info, Int32(info.count)) > 0
        }
    }

    /// RFC 5246 section 5: PRF(secret, label, seed) with the suite's hash (OpenSSL's TLS1-PRF KDF).
    static func prf(secret: [UInt8], label: String, seed: [UInt8], length: Int, hash: Hash) -> [UInt8]? {
        guard length > 0, !secret.isEmpty else { return nil }
        let labelled = Array(label.utf8) + seed
        return derive(EVP_PKEY_TLS1_PRF, length: length) { ctx in
            EVP_PKEY_CTX_set_tls1_prf_md(ctx, hash.md) > 0
                && EVP_PKEY_CTX_set1_tls1_prf_secret(ctx, secret, Int32(secret.count)) > 0
                && EVP_PKEY_CTX_add1_tls1_prf_seed(ctx, labelled, Int32(labelled.count)) > 0
        }
    }

    private static func derive(_ id: Int32, length: Int, configure: (OpaquePointer) -> Bool) -> [UInt8]? {
        guard let ctx = EVP_PKEY_CTX_new_id(id, nil) else { return nil }
        defer { EVP_PKEY_CTX_free(ctx) }
        guard EVP_PKEY_derive_init(ctx) > 0, configure(ctx) else { return nil }
        var out = [UInt8](repeating: 0, count: length)
        var n = length
        guard EVP_PKEY_derive(ctx, &out, &n) > 0, n == length else { return nil }
        return out
    }
}

/// An AEAD key for opening records: AES-GCM or ChaCha20-Poly1305, 12-byte nonce, 16-byte tag. The EVP
/// context is keyed once; each record only sets its nonce.
final class TLSAEADKey {
    enum Algorithm: Sendable, Equatable {
        case aes128GCM, aes256GCM, chacha20Poly1305
        var keyLength: Int { self == .aes128GCM ? 16 : 32 }
        var name: String {
            switch self {
            case .aes128GCM: return "AES-128-GCM"
            case .aes256GCM: return "AES-256-GCM"
            case .chacha20Poly1305: return "ChaCha20-Poly1305"
            }
        }
    }
    static let tagLength = 16
    static let nonceLength = 12

    let algorithm: Algorithm
    private let ctx: OpaquePointer

    init?(_ algorithm: Algorithm, key: [UInt8]) {
        guard key.count == algorithm.keyLength, let ctx = EVP_CIPHER_CTX_new() else { return nil }
        self.algorithm = algorithm
        self.ctx = ctx
        let cipher: OpaquePointer?
        switch algorithm {
        case .aes128GCM: cipher = EVP_aes_128_gcm()
        case .aes256GCM: cipher = EVP_aes_256_gcm()
        case .chacha20Poly1305: cipher = EVP_chacha20_poly1305()
        }
        guard EVP_DecryptInit_ex(ctx, cipher, nil, nil, nil) > 0,
              EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, Int32(Self.nonceLength), nil) > 0,
              EVP_DecryptInit_ex(ctx, nil, nil, key, nil) > 0 else {
            EVP_CIPHER_CTX_free(ctx)
            return nil
        }
    }

    deinit { EVP_CIPHER_CTX_free(ctx) }

    /// Ciphertext followed by its tag; nil when the tag does not authenticate (wrong key, nonce or data).
    func open(nonce: [UInt8], aad: [UInt8], sealed: ArraySlice<UInt8>) -> [UInt8]? {
        guard nonce.count == Self.nonceLength, sealed.count >= Self.tagLength else { return nil }
        let textLength = sealed.count - Self.tagLength
        var out = [UInt8](repeating: 0, count: textLength + 16)
        var n: Int32 = 0
        let ok: Bool = sealed.withUnsafeBufferPointer { s in
            guard let base = s.baseAddress else { return false }
            guard EVP_DecryptInit_ex(ctx, nil, nil, nil, nonce) > 0 else { return false }
            if !aad.isEmpty {
                guard EVP_DecryptUpdate(ctx, nil, &n, aad, Int32(aad.count)) > 0 else { return false }
            }
            if textLength > 0 {
                guard EVP_DecryptUpdate(ctx, &out, &n, base, Int32(textLength)) > 0, Int(n) == textLength else { return false }
            }
            var tag = Array(s[textLength...])
            guard EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, Int32(Self.tagLength), &tag) > 0 else { return false }
            var tail: Int32 = 0
            return out.withUnsafeMutableBufferPointer { o in
                EVP_DecryptFinal_ex(ctx, o.baseAddress! + textLength, &tail) > 0
            }
        }
        guard ok else { return nil }
        out.removeLast(out.count - textLength)
        return out
    }
}
