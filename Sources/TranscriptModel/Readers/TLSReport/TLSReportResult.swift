/// The `result-type` words of an SMTP TLS report (RFC 8460 §4.3), and where in a delivery each one stops
/// the sender. Raw values are the report's words and the `tlsrpt-result` attribute.
public enum TLSReportResult: String, Sendable, CaseIterable {
    // Negotiation: the MX's STARTTLS or certificate.
    case starttlsNotSupported = "starttls-not-supported"
    case certificateHostMismatch = "certificate-host-mismatch"
    case certificateExpired = "certificate-expired"
    case certificateNotTrusted = "certificate-not-trusted"
    case validationFailure = "validation-failure"
    // DANE (RFC 7672): the TLSA records or their DNSSEC.
    case tlsaInvalid = "tlsa-invalid"
    case dnssecInvalid = "dnssec-invalid"
    case daneRequired = "dane-required"
    // MTA-STS (RFC 8461): the policy itself.
    case stsPolicyFetchError = "sts-policy-fetch-error"
    case stsPolicyInvalid = "sts-policy-invalid"
    case stsWebpkiInvalid = "sts-webpki-invalid"

    /// Where the sender stopped.
    public enum Stop: Sendable {
        /// Before any SMTP: the policy could not be had, so the sender went on as if there were none.
        case policy
        /// After the EHLO reply: it offered no STARTTLS.
        case afterEHLO
        /// In the TLS handshake after STARTTLS: the certificate did not pass.
        case handshake
        /// Before connecting: the MX's DNS answers did not validate.
        case lookup
    }

    public var stop: Stop {
        switch self {
        case .starttlsNotSupported, .daneRequired: return .afterEHLO
        case .certificateHostMismatch, .certificateExpired, .certificateNotTrusted, .validationFailure, .tlsaInvalid: return .handshake
        case .dnssecInvalid: return .lookup
        case .stsPolicyFetchError, .stsPolicyInvalid, .stsWebpkiInvalid: return .policy
        }
    }

    /// DANE has no testing mode: a sender that validates it never falls back.
    public var alwaysEnforced: Bool { self == .tlsaInvalid || self == .dnssecInvalid || self == .daneRequired }
}
