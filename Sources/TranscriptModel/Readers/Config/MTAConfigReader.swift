import Foundation

/// Reads an MTA's configuration as admins paste it to ask why mail fails: Postfix's `postconf -n` output or
/// `main.cf` (`key = value`, continued on indented lines, `#` comments), and Debian's exim4 settings
/// (`/etc/exim4/update-exim4.conf.conf`: `dc_key='value'`), and Sendmail's `sendmail.mc` (`DAEMON_OPTIONS`,
/// `FEATURE`, `define`). One session without SMTP per configuration; the
/// settings the config rules look at become `config-*` attributes (`config-inet_interfaces`, ...).
public struct MTAConfigReader: LineReader {
    public static let formatID = "mta-config"
    public static let summary = "MTA settings: Postfix postconf -n / main.cf, Debian exim4 update-exim4.conf.conf, sendmail.mc"

    /// The Postfix settings the rules read (and that show a Postfix configuration when three are there).
    static let postfixKeys: Set<String> = [
        "myhostname", "mydomain", "myorigin", "mydestination", "mynetworks", "mynetworks_style", "inet_interfaces",
        "inet_protocols", "relayhost", "relay_domains", "smtpd_relay_restrictions", "smtpd_recipient_restrictions",
        "smtpd_tls_security_level", "smtpd_tls_cert_file", "smtpd_use_tls", "smtp_tls_security_level", "smtp_use_tls",
        "smtp_sasl_auth_enable", "smtp_sasl_password_maps", "smtpd_sasl_auth_enable", "message_size_limit",
        "virtual_mailbox_domains", "virtual_alias_domains", "smtpd_banner", "default_transport", "relay_transport", "compatibility_level",
        "alias_maps", "home_mailbox", "mailbox_size_limit", "smtpd_helo_required", "smtpd_helo_restrictions",
    ]

    public static func score(_ prefix: [ArraySlice<UInt8>]) -> Double {
        var postfix = 0, exim = 0, sendmail = 0, command = false
        for line in prefix where line.count < 4_096 {
            let s = Bytes.string(Bytes.trimmed(line))
            // `postconf -n`, or a question about a few settings (`postconf inet_interfaces mydestination`).
            if ShellPrompt.command(in: s).hasPrefix("postconf ") || s.hasSuffix("update-exim4.conf.conf") {
                command = true
            }
            if let (k, _) = Self.setting(s) {
                if k.hasPrefix("dc_") { exim += 1 } else if postfixKeys.contains(k) { postfix += 1 }
            }
            if Self.m4(s) != nil { sendmail += 1 }
        }
        if exim >= 2 || postfix >= 3 || sendmail >= 2 { return 0.94 }
        return command && (exim + postfix) >= 1 ? 0.9 : 0
    }

    private let input: String
    private var settings: [(key: String, value: String)] = []
    private var notes: [(Int, String, Note.Kind)] = []
    /// sendmail.mc: every active `DAEMON_OPTIONS(...)` and `FEATURE(...)`, and the `define`s the rules read.
    private var daemonOptions: [String] = []
    private var features: [String] = []
    private var defines: [String: String] = [:]
    static let sendmailDefines: Set<String> = ["SMART_HOST", "confMAX_MESSAGE_SIZE", "confDOMAIN_NAME"]

    public init(input: String) { self.input = input }

    public mutating func read(line: ArraySlice<UInt8>, number: Int, emit: (Session) -> Void) {
        let raw = Bytes.string(line.prefix(4_096))
        let s = raw.trimmingCharacters(in: .whitespaces)
        guard !s.isEmpty else { return }
        // main.cf continues a value on lines that start with white space.
        if raw.first == " " || raw.first == "\t", !s.hasPrefix("#"), let last = settings.indices.last, !settings[last].key.hasPrefix("dc_") {
            settings[last].value += settings[last].value.isEmpty ? s : " " + s
            if notes.count < 2_000 { notes.append((number, s, .log)) }
            return
        }
        if s.hasPrefix("#") || s.hasPrefix("dnl") { return }
        if let (macro, args) = Self.m4(s) {
            switch macro {
            case "DAEMON_OPTIONS": if daemonOptions.count < 32 { daemonOptions.append(args.joined(separator: ",")) }
            case "FEATURE": if features.count < 100, let f = args.first { features.append(f) }
            case "define":
                if args.count >= 2, Self.sendmailDefines.contains(args[0]) { defines[args[0]] = args[1...].joined(separator: ",") }
            default: break
            }
            if notes.count < 2_000 { notes.append((number, s, .log)) }
            return
        }
        if let (k, v) = Self.setting(s), settings.count < 1_000 {
            settings.append((k, v))
            if notes.count < 2_000 { notes.append((number, s, .log)) }
            return
        }
        // The command, a shell prompt, anything else: kept, so the evidence reads as pasted.
        if notes.count < 2_000 { notes.append((number, s, .tool)) }
    }

    public mutating func finish(emit: (Session) -> Void) {
        guard !settings.isEmpty || !daemonOptions.isEmpty || !features.isEmpty || !defines.isEmpty else {
            return emit(.nothingToExplain("No MTA setting was found in the input.", input: input, format: Self.formatID))
        }
        var b = SessionBuilder(input: input, format: Self.formatID)
        for (n, text, kind) in notes { b.note(text, kind: kind, at: SourcePosition(input: input, line: n)) }
        let sendmail = settings.isEmpty
        let exim = settings.contains { $0.key.hasPrefix("dc_") }
        var a: [String: String] = ["config-mta": sendmail ? "sendmail" : exim ? "exim" : "postfix"]
        if !daemonOptions.isEmpty { a["config-sendmail_daemon_options"] = daemonOptions.joined(separator: " | ") }
        if !features.isEmpty { a["config-sendmail_features"] = features.joined(separator: " ") }
        for (k, v) in defines { a["config-sendmail_" + k] = v }
        for (k, v) in settings where (Self.postfixKeys.contains(k) || k.hasPrefix("dc_")) && a["config-" + k] == nil {
            a["config-" + k] = String(v.prefix(2_000))
        }
        b.attributes = a
        emit(b.finish())
    }

    /// A sendmail.mc macro call: `DAEMON_OPTIONS(`Port=smtp,Addr=127.0.0.1, Name=MTA')dnl` → the macro and its
    /// arguments, m4 quotes taken off.
    static func m4(_ s: String) -> (String, [String])? {
        for macro in ["DAEMON_OPTIONS", "FEATURE", "define", "MAILER", "OSTYPE", "DOMAIN"] where s.hasPrefix(macro + "(") {
            guard let close = s.lastIndex(of: ")") else { return nil }
            let inner = s[s.index(s.startIndex, offsetBy: macro.count + 1)..<close]
            let args = inner.split(separator: ",", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: ["`", "'"]).trimmingCharacters(in: .whitespaces) }
            // DAEMON_OPTIONS keeps its quoted list whole: `Port=smtp,Addr=127.0.0.1, Name=MTA`.
            return (macro, args)
        }
        return nil
    }

    /// `inet_interfaces = loopback-only` (Postfix) or `dc_local_interfaces='127.0.0.1 ; ::1'` (Debian exim4):
    /// the key and its value, unquoted.
    static func setting(_ s: String) -> (String, String)? {
        if s.hasPrefix("dc_"), let eq = s.firstIndex(of: "=") {
            let k = String(s[..<eq])
            guard k.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else { return nil }
            var v = s[s.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            if v.count >= 2, let q = v.first, q == "'" || q == "\"", v.last == q { v = String(v.dropFirst().dropLast()) }
            return (k, v)
        }
        guard let r = s.range(of: " = ") ?? (s.hasSuffix(" =") ? s.range(of: " =", options: .backwards) : nil) else { return nil }
        let k = String(s[..<r.lowerBound])
        guard !k.isEmpty, k.count <= 64, k.first!.isLetter,
              k.allSatisfy({ ($0.isLetter && $0.isLowercase) || $0.isNumber || $0 == "_" }) else { return nil }
        return (k, s[r.upperBound...].trimmingCharacters(in: .whitespaces))
    }
}
