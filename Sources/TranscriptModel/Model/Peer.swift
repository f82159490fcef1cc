/// What is known of one end of the connection.
public struct Peer: Sendable, Hashable {
    /// Host name (server: from the banner or the command line; client: from logs/rDNS).
    public var host: String?
    /// IP address, when the input shows it.
    public var address: String?
    public var port: Int?
    /// Server: software named in the banner (`Postfix`, `Exim 4.96`, `Microsoft ESMTP MAIL Service`).
    public var software: String?
    /// Server: the name it gave in its EHLO/HELO reply. Client: the name it gave in HELO/EHLO.
    public var heloName: String?

    public init(host: String? = nil, address: String? = nil, port: Int? = nil, software: String? = nil, heloName: String? = nil) {
        self.host = host
        self.address = address
        self.port = port
        self.software = software
        self.heloName = heloName
    }
}

/// The EHLO capability list.
public struct Capabilities: Sendable, Hashable {
    /// Every keyword, upper-cased, in order.
    public var keywords: [String] = []
    /// `SIZE n` (0 = no fixed limit).
    public var size: Int?
    /// `AUTH` mechanisms, upper-cased.
    public var authMechanisms: [String] = []
    public var position: SourcePosition?

    public init() {}

    public func has(_ keyword: String) -> Bool { keywords.contains(keyword) }
    public var pipelining: Bool { has("PIPELINING") }
    public var starttls: Bool { has("STARTTLS") }
    public var chunking: Bool { has("CHUNKING") }
    public var smtputf8: Bool { has("SMTPUTF8") }
    public var eightBitMIME: Bool { has("8BITMIME") }
    public var enhancedStatusCodes: Bool { has("ENHANCEDSTATUSCODES") }
}

/// TLS facts from a handshake summary (openssl s_client, curl, swaks, a ClientHello/ServerHello).
public struct TLSFacts: Sendable, Hashable {
    public var version: String?
    public var cipher: String?
    public var serverName: String?
    public var subject: String?
    public var issuer: String?
    /// Verification result as the tool printed it (`0 (ok)`, `18 (self-signed certificate)`).
    public var verify: String?
    /// Implicit TLS (port 465) rather than STARTTLS.
    public var implicit: Bool = false

    /// The words of a verification result: `18 (self-signed certificate)` → `self-signed certificate`.
    public static func verifyReason(_ verify: String) -> String {
        verify.contains("(") ? String(verify.drop { $0 != "(" }.dropFirst().dropLast()) : verify
    }
    public var position: SourcePosition?

    public init(version: String? = nil, cipher: String? = nil, serverName: String? = nil, subject: String? = nil,
                issuer: String? = nil, verify: String? = nil, implicit: Bool = false, position: SourcePosition? = nil) {
        self.version = version
        self.cipher = cipher
        self.serverName = serverName
        self.subject = subject
        self.issuer = issuer
        self.verify = verify
        self.implicit = implicit
        self.position = position
    }
}
