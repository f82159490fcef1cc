import Foundation

/// TLS secrets from an NSS key log (the file SSLKEYLOGFILE makes browsers, OpenSSL, Python and curl write):
/// one `LABEL <client_random hex> <secret hex>` per line. Secrets are found by the ClientHello's random.
public struct TLSKeyLog: Sendable {
    /// A line that was skipped, with its 1-based number.
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        public var line: Int
        public var message: String
        public var description: String { "line \(line): \(message)" }
    }

    /// The labels decryption uses; other labels (EXPORTER_SECRET, CLIENT_EARLY_TRAFFIC_SECRET, RSA, ...) are
    /// ignored without complaint, as Wireshark does.
    public static let labels: Set<String> = [
        "CLIENT_RANDOM",   // TLS 1.2: the 48-byte master secret
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
        "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0",
    ]

    /// client_random (32 bytes) -> label -> secret.
    public private(set) var secrets: [[UInt8]: [String: [UInt8]]] = [:]
    /// Lines with a known label that could not be used (bad hex, wrong lengths, missing fields).
    public private(set) var problems: [Problem] = []
    /// Secret lines kept.
    public private(set) var entries = 0

    /// Files bigger than this are refused: a key log holds a few hundred bytes per connection.
    public static let maxFileBytes = 64 << 20

    public var isEmpty: Bool { secrets.isEmpty }

    public init() {}

    /// Parses key log text; bad lines are skipped and listed in `problems`, so one damaged line (a writer
    /// killed mid-line) does not lose every other connection's keys.
    public init(parsing text: String) {
        var number = 0
        // "\r\n" is one Character in Swift, so CRLF files need it named as a separator.
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            number += 1
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let label = fields.first, !label.hasPrefix("#") else { continue }
            let name = String(label)
            guard Self.labels.contains(name) else { continue }
            guard fields.count == 3 else {
                problems.append(Problem(line: number, message: "\(name) needs 2 fields (client random, secret), found \(fields.count - 1)"))
                continue
            }
            guard let random = Self.hex(fields[1]), random.count == 32 else {
                problems.append(Problem(line: number, message: "the client random must be 64 hex digits"))
                continue
            }
            guard let secret = Self.hex(fields[2]) else {
                problems.append(Problem(line: number, message: "the secret is not hex"))
                continue
            }
            // TLS 1.2 master secrets are 48 bytes; TLS 1.3 secrets are one hash long (SHA-256 or SHA-384).
            let valid = name == "CLIENT_RANDOM" ? secret.count == 48 : (secret.count == 32 || secret.count == 48)
            guard valid else {
                problems.append(Problem(line: number, message: "a \(name) secret of \(secret.count) bytes is not a valid length"))
                continue
            }
            secrets[random, default: [:]][name] = secret
            entries += 1
        }
    }

    /// Reads a key log file. Throws when it cannot be read or is too big; bad lines only land in `problems`.
    public init(contentsOfFile path: String) throws {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        if let size = attributes?[.size] as? Int, size > Self.maxFileBytes {
            throw TLSKeyLogError(path: path, message: "\(size) bytes is more than a key log should be (limit \(Self.maxFileBytes))")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TLSKeyLogError(path: path, message: "cannot read the file")
        }
        guard data.count <= Self.maxFileBytes else {
            throw TLSKeyLogError(path: path, message: "more than \(Self.maxFileBytes) bytes: not a key log")
        }
        self.init(parsing: String(decoding: data, as: UTF8.self))
    }

    /// The secret logged under `label` for the connection whose ClientHello carried `clientRandom`.
    public func secret(_ label: String, clientRandom: [UInt8]) -> [UInt8]? {
        secrets[clientRandom]?[label]
    }

    static func hex<S: StringProtocol>(_ s: S) -> [UInt8]? {
        let utf8 = Array(s.utf8)
        guard !utf8.isEmpty, utf8.count % 2 == 0, utf8.count <= 512 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count / 2)
        var i = 0
        while i < utf8.count {
            guard let hi = Bytes.hexValue(utf8[i]), let lo = Bytes.hexValue(utf8[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }
}

/// A key log file that could not be used at all.
public struct TLSKeyLogError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var message: String
    public var description: String { "\(path): \(message)" }
    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }
}
