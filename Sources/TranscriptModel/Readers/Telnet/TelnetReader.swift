import Foundation

/// Unmarked pastes from telnet, nc/ncat or a terminal: no direction markers, so server lines are told from
/// typed client lines by reply syntax and by the state machine. The tools' own lines (`Trying ...`,
/// `Connection closed by foreign host.`, nc/ncat wording) and shell prompts are recognised and used as
/// evidence; a new `telnet host 25` or `Trying` after a finished session starts another session.
struct TelnetCore: DialectCore {
    static let formatID = "telnet"
    static let summary = "raw telnet / nc / ncat session pasted from a terminal (no direction markers)"

    static func scoreLines(_ prefix: [ArraySlice<UInt8>]) -> Double {
        var tool = 0, replies = 0, commands = 0, marked = 0
        for line in prefix {
            let t = Bytes.trimmed(line)
            if ToolLine.classify(t) != nil { tool += 1 }
            if ReplyLine.matches(t) { replies += 1 }
            if Bytes.hasPrefix(t, lowercased: "ehlo ") || Bytes.hasPrefix(t, lowercased: "helo ")
                || Bytes.hasPrefix(t, lowercased: "mail from") || Bytes.hasPrefix(t, lowercased: "rcpt to") {
                commands += 1
            }
            if Bytes.hasPrefix(t, lowercased: "s: ") || Bytes.hasPrefix(t, lowercased: "c: ")
                || Bytes.hasPrefix(t, lowercased: "<-") || Bytes.hasPrefix(t, lowercased: "->")
                || Bytes.hasPrefix(t, lowercased: ">>> ") || Bytes.hasPrefix(t, lowercased: "< ")
                || Bytes.hasPrefix(t, lowercased: "> ") {
                marked += 1
            }
        }
        if marked > replies / 2 + 1 { return 0.05 }
        if tool > 0 && (replies > 0 || commands > 0) { return 0.9 }
        // PowerShell's port test alone.
        if prefix.contains(where: { Bytes.hasPrefix(Bytes.trimmed($0), lowercased: "tcptestsucceeded ") }) { return 0.9 }
        if replies > 0 && commands > 0 { return 0.6 }
        if tool > 0 { return 0.5 }
        if replies > 0 { return 0.3 }
        return 0.1
    }

    private let input: String
    private var builder: SessionBuilder
    private var started = false
    /// The last shell command was a DNS lookup: its output lines are DNS evidence, not dialogue.
    private var afterDNSCommand = false
    /// A `Test-NetConnection` result was read (`TcpTestSucceeded`): what follows is another test or session.
    private var portTestDone = false
    /// nc said `Connection to HOST 25 port [tcp/smtp] succeeded!`.
    private var ncConnected = false

    init(input: String) {
        self.input = input
        self.builder = SessionBuilder(input: input, format: Self.formatID)
    }

    mutating func line(_ line: ArraySlice<UInt8>, number: Int, emit: (Session) -> Void) {
        let pos = SourcePosition(input: input, line: number)
        let t = Bytes.trimmed(line)
        if let tool = ToolLine.classify(t) {
            // Inside message content only lines no message would contain count as the tool's.
            var applies = true
            switch tool {
            case .shell, .info, .connected, .failed: applies = !builder.isInData
            default: break
            }
            if applies {
                handle(tool, text: Bytes.string(t), at: pos, emit: emit)
                return
            }
        }
        if t.isEmpty && !builder.isInData && builder.isEmpty { return }
        // Blank lines around a port test's output are not typed lines.
        if t.isEmpty, builder.session.exchanges.isEmpty, builder.attributes["connection-test"] != nil || portTestDone { return }
        if !builder.isInData, !t.isEmpty, !ReplyLine.matches(t), !Scan.startsWithVerb(t), isOutsideDialogue {
            // Chat text around the paste ("here is what I got:"), or the output of a `dig`/`host` run before
            // the telnet: not something typed to the server.
            builder.note(Bytes.string(t), kind: afterDNSCommand ? .dns : .unparsed, at: pos)
            return
        }
        if builder.session.closedBy != nil || builder.session.connectFailure != nil {
            // After the connection ended, only a new greeting starts dialogue again; the rest is shell or chat.
            if let r = ReplyLine.parse(t), r.code == 220 || r.code == 554 || r.code == 421 {
                startNewSessionIfNeeded(emit: emit)
            } else {
                if !t.isEmpty { builder.note(Bytes.string(t), kind: .unparsed, at: pos) }
                return
            }
        }
        builder.unmarked(line, at: pos)
    }

    /// Before the first exchange of a connection, or after it is over (closed, failed, QUIT answered).
    private var isOutsideDialogue: Bool {
        let s = builder.session
        if s.exchanges.isEmpty { return builder.awaitingReplies == 0 && s.connected != true }
        if s.closedBy != nil || s.connectFailure != nil { return true }
        return s.quitSent && builder.awaitingReplies == 0
    }

    mutating func finish(emit: (Session) -> Void) {
        if !builder.isEmpty { emit(finished()) }
        builder = SessionBuilder(input: input, format: Self.formatID)
    }

    /// The session read so far. `nc -zv`'s success line with no dialogue after it was a port test.
    private mutating func finished() -> Session {
        var s = builder.finish()
        if ncConnected, s.exchanges.isEmpty { s.attributes["connection-test"] = "nc" }
        ncConnected = false
        return s
    }

    /// A finished port test is a session of its own, even without any dialogue.
    private mutating func endPortTest(_ emit: (Session) -> Void) {
        portTestDone = false
        guard !builder.isEmpty else { return }
        emit(finished())
        builder = SessionBuilder(input: input, format: Self.formatID)
    }

    private mutating func startNewSessionIfNeeded(emit: (Session) -> Void) {
        if !builder.isEmpty && (builder.session.exchanges.count > 0 || builder.session.closedBy != nil
                                || builder.session.connectFailure != nil) {
            emit(finished())
            builder = SessionBuilder(input: input, format: Self.formatID)
        }
    }

    private mutating func handle(_ tool: ToolLine, text: String, at pos: SourcePosition, emit: (Session) -> Void) {
        switch tool {
        case .shellCommand(let host, let port):
            afterDNSCommand = false
            if portTestDone { endPortTest(emit) }
            startNewSessionIfNeeded(emit: emit)
            let lower = text.lowercased()
            if lower.contains("test-netconnection") || lower.contains("> tnc ") {
                builder.attributes["connection-test"] = "Test-NetConnection"
            }
            builder.note(text, kind: .shell, at: pos)
            builder.connecting(host: host, address: nil, port: port, at: pos)
        case .shell:
            builder.note(text, kind: .shell, at: pos)
            let words = text.split(separator: " ")
            afterDNSCommand = words.contains { ["dig", "host", "nslookup", "drill", "kdig"].contains($0) }
        case .trying(let address):
            if builder.session.connected == true || !builder.session.exchanges.isEmpty
                || builder.session.closedBy != nil {
                startNewSessionIfNeeded(emit: emit)
            }
            builder.note(text, kind: .tool, at: pos)
            builder.connecting(host: nil, address: address, port: nil, at: pos)
        case .connected(let host, let port):
            if text.hasPrefix("Connection to "), text.hasSuffix("succeeded!") { ncConnected = true }
            builder.note(text, kind: .tool, at: pos)
            builder.connected(address: nil, port: port, at: pos)
            if let host {
                if ServerIdentity.isAddressLiteral(host) { builder.server.address = builder.server.address ?? host }
                else if builder.server.host == nil { builder.server.host = host }
            }
        case .info:
            builder.note(text, kind: .tool, at: pos)
        case .failed(let failure):
            builder.connectFailed(failure, detail: text, at: pos, unexplained: failure == .other)
        case .portTest(let host, let address, let port, let succeeded):
            // The line after a finished test starts the next test.
            if portTestDone { endPortTest(emit) }
            builder.attributes["connection-test"] = "Test-NetConnection"
            if host != nil || address != nil || port != nil {
                builder.connecting(host: host, address: address, port: port, at: pos)
            }
            if succeeded == false, builder.session.connectFailure == nil {
                // It does not tell a refusal from a timeout.
                builder.connectFailed(.other, detail: text, at: pos, unexplained: true)
            } else {
                builder.note(text, kind: .tool, at: pos)
                if succeeded == true, builder.session.connectFailure == nil { builder.connected(address: nil, port: nil, at: pos) }
            }
            if succeeded != nil && host == nil && address == nil { portTestDone = true }
        case .ping(let answered):
            builder.attributes["ping"] = answered ? "answered" : "no answer"
            builder.note(text, kind: .tool, at: pos)
        case .closed(let by):
            builder.note(text, kind: .tool, at: pos)
            builder.closed(by: by, at: pos)
        }
    }
}

typealias TelnetReader = Pasted<TelnetCore>

/// A line printed by telnet, nc, ncat or the shell rather than by the SMTP peer.
enum ToolLine {
    case shellCommand(host: String?, port: Int?)
    case shell
    case trying(address: String?)
    case connected(host: String?, port: Int?)
    case info
    case failed(ConnectFailure)
    case closed(by: Closer)
    /// PowerShell's `Test-NetConnection HOST -Port 25`: what it tested, and whether TCP connected.
    case portTest(host: String?, address: String?, port: Int?, succeeded: Bool?)
    /// Its `PingSucceeded`: whether the host answered ping.
    case ping(Bool)

    static func classify(_ t: ArraySlice<UInt8>) -> ToolLine? {
        guard let first = t.first else { return nil }
        // Cheap dispatch on the first byte: most dialogue lines start with a digit or a verb letter.
        if Bytes.isDigit(first) { return nil }
        if Bytes.hasPrefix(t, lowercased: "trying ") {
            let rest = Bytes.string(t.dropFirst(7))
            let addr = rest.hasSuffix("...") ? String(rest.dropLast(3)) : rest
            return .trying(address: addr)
        }
        if Bytes.hasPrefix(t, lowercased: "connected to ") {
            var host = Bytes.string(t.dropFirst(13))
            if host.hasSuffix(".") { host.removeLast() }
            return .connected(host: host, port: nil)
        }
        if Bytes.hasPrefix(t, lowercased: "escape character is") { return .info }
        if let test = portTest(t) { return test }
        if Bytes.hasPrefix(t, lowercased: "connection closed by foreign host") { return .closed(by: .server) }
        if Bytes.hasPrefix(t, lowercased: "connection to host lost") { return .closed(by: .server) }
        if Bytes.hasPrefix(t, lowercased: "connection closed.") { return .closed(by: .client) }
        if Bytes.hasPrefix(t, lowercased: "telnet>") { return .info }
        // The escape character echoed by the terminal (`^]`) before the `telnet>` prompt.
        if t.count == 2, t.first == 0x5E, t.last == 0x5D { return .info }
        if t.count == 1, t.first == 0x1D { return .info }
        if Bytes.hasPrefix(t, lowercased: "ncat: version") { return .info }
        if Bytes.hasPrefix(t, lowercased: "ncat: connected to ") {
            return .connected(host: nil, port: nil)
        }
        if Bytes.hasPrefix(t, lowercased: "connection to "), Bytes.contains(t, lowercased: "succeeded") {
            // nc -v: `Connection to mx.example.org 25 port [tcp/smtp] succeeded!`
            // The name only: an address here is the one typed, which the shell line already gave.
            let words = Bytes.string(t.prefix(300)).split(separator: " ")
            let host = words.count > 3 && !ServerIdentity.isAddressLiteral(String(words[2])) ? String(words[2]) : nil
            return .connected(host: host, port: words.count > 3 ? Int(words[3]) : nil)
        }
        if Bytes.hasPrefix(t, lowercased: "connecting to ") && !Bytes.contains(t, lowercased: "could not open") {
            return .trying(address: nil)
        }
        let toolPrefix = Bytes.hasPrefix(t, lowercased: "telnet:") || Bytes.hasPrefix(t, lowercased: "nc:")
            || Bytes.hasPrefix(t, lowercased: "ncat:") || Bytes.hasPrefix(t, lowercased: "netcat:")
            || Bytes.hasPrefix(t, lowercased: "could not open connection")
            || Bytes.hasPrefix(t, lowercased: "connecting to ")
            || Bytes.hasPrefix(t, lowercased: "connection failed")
        if toolPrefix || t.count < 80 {
            if let failure = connectFailure(in: t) {
                if toolPrefix || isBareFailure(t) { return .failed(failure) }
            }
        }
        if toolPrefix { return .info }
        if let shell = shellLine(t) { return shell }
        return nil
    }

    /// `Test-NetConnection`'s warning and result lines: `WARNING: TCP connect to (192.0.2.25 : 25) failed`,
    /// `WARNING: Name resolution of mx.example.org failed`, `ComputerName : mx.example.org`, `RemotePort : 25`,
    /// `TcpTestSucceeded : False`.
    private static func portTest(_ t: ArraySlice<UInt8>) -> ToolLine? {
        // Every line of a paste passes here: decide on bytes before making a string.
        guard Bytes.hasPrefix(t, lowercased: "warning: ") || LogBytes.find(t.prefix(40), " : ") != nil else { return nil }
        let s = Bytes.string(t.prefix(300))
        if s.hasPrefix("WARNING: TCP connect to (") {
            let inner = s.dropFirst(25).prefix { $0 != ")" }.split(separator: ":").map { $0.trimmingCharacters(in: .whitespaces) }
            let port = inner.count >= 2 ? Int(inner[inner.count - 1]) : nil
            let address = inner.count >= 2 ? inner.dropLast().joined(separator: ":") : nil
            return .portTest(host: nil, address: address, port: port, succeeded: false)
        }
        if s.hasPrefix("WARNING: Name resolution of "), s.hasSuffix(" failed") { return .failed(.nameNotResolved) }
        if s.hasPrefix("WARNING: Ping to ") { return .info }
        guard let colon = s.firstIndex(of: ":"), s[..<colon].hasSuffix(" ") else { return nil }
        let key = s[..<colon].trimmingCharacters(in: .whitespaces)
        let value = s[s.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        switch key {
        case "ComputerName": return .portTest(host: value.isEmpty ? nil : value, address: nil, port: nil, succeeded: nil)
        case "RemoteAddress": return .portTest(host: nil, address: value.isEmpty ? nil : value, port: nil, succeeded: nil)
        case "RemotePort": return .portTest(host: nil, address: nil, port: Int(value), succeeded: nil)
        case "TcpTestSucceeded":
            return value == "True" || value == "False" ? .portTest(host: nil, address: nil, port: nil, succeeded: value == "True") : nil
        case "PingSucceeded": return value == "True" || value == "False" ? .ping(value == "True") : .info
        case "InterfaceAlias", "SourceAddress", "PingReplyDetails (RTT)", "NameResolutionResults",
             "NetRoute (NextHop)", "NetworkIsolationContext", "IsAdmin", "MatchingIPsecRules":
            return .info
        default: return nil
        }
    }

    private static func isBareFailure(_ t: ArraySlice<UInt8>) -> Bool {
        // `Connection refused`, `connect: Connection timed out` printed alone.
        let s = Bytes.string(t).lowercased()
        return ["connection refused", "connection timed out", "no route to host", "network is unreachable",
                "name or service not known", "temporary failure in name resolution", "unknown host",
                "connect: connection refused", "connect: connection timed out"].contains {
            s == $0 || s == $0 + "." || s.hasSuffix(": " + $0)
        }
    }

    static func connectFailure(in t: ArraySlice<UInt8>) -> ConnectFailure? {
        // Windows telnet says `Could not open connection to the host, on port 25: Connect failed` whether the
        // connection was refused or timed out.
        if Bytes.contains(t, lowercased: "could not open connection to the host") { return .other }
        if Bytes.contains(t, lowercased: "connection refused") || Bytes.contains(t, lowercased: "connect failed") {
            return .refused
        }
        if Bytes.contains(t, lowercased: "timed out") || Bytes.contains(t, lowercased: "timeout") {
            return .timedOut
        }
        if Bytes.contains(t, lowercased: "no route to host") { return .noRoute }
        if Bytes.contains(t, lowercased: "network is unreachable") { return .networkUnreachable }
        if Bytes.contains(t, lowercased: "name or service not known")
            || Bytes.contains(t, lowercased: "could not resolve")
            || Bytes.contains(t, lowercased: "temporary failure in name resolution")
            || Bytes.contains(t, lowercased: "unknown host")
            || Bytes.contains(t, lowercased: "nodename nor servname") {
            return .nameNotResolved
        }
        return nil
    }

    /// `user@host:~$ telnet mx.example.com 25`, `$ nc -C 192.0.2.1 25`, `C:\> telnet mail 25`, `# telnet ...`.
    static func shellLine(_ t: ArraySlice<UInt8>) -> ToolLine? {
        let s = Bytes.string(t.prefix(300))
        var commandPart: Substring?
        for marker in ["$ ", "# ", "> ", "% "] {
            if let r = s.range(of: marker) {
                let before = s[s.startIndex..<r.lowerBound]
                // A prompt is short and has no spaces (`user@host:~`, `C:\Users\me`, `PS C:\`).
                let bracketed = before.hasPrefix("[") && before.hasSuffix("]")
                if before.count <= 60, !before.contains(" ") || before.hasPrefix("PS ") || bracketed,
                   marker != "> " || !before.isEmpty {
                    commandPart = s[r.upperBound...]
                    break
                }
            }
        }
        // Windows' cmd.exe puts no space after its prompt: `C:\Users\me>telnet mx.example.org 25`.
        if commandPart == nil, s.count > 3, s.dropFirst().hasPrefix(":\\"), let gt = s.firstIndex(of: ">"),
           s.distance(from: s.startIndex, to: gt) <= 60, !s[..<gt].contains(" ") {
            commandPart = s[s.index(after: gt)...]
        }
        guard let cmd = commandPart else {
            // A bare prompt left at the end of a paste: `user@host:~$`, `[root@web01 ~]#`, `C:\>`.
            if let last = s.last, "$#>%".contains(last), s.count <= 60,
               !s.contains(" ") || (s.hasPrefix("[") && s.dropLast().hasSuffix("]")),
               s.contains("@") || s.contains(":\\") || s.hasPrefix("[") || s.count == 1 {
                return .shell
            }
            return nil
        }
        let words = cmd.split(separator: " ").map(String.init)
        guard let tool = words.first?.lowercased() else { return .shell }
        if ["test-netconnection", "tnc"].contains(tool) {
            // `Test-NetConnection mx.example.org -Port 25` (`-ComputerName` may name the host).
            var host: String?, port: Int?
            var i = 1
            while i < words.count {
                let w = words[i].lowercased()
                if w == "-port", i + 1 < words.count { port = Int(words[i + 1]); i += 2; continue }
                if w == "-computername", i + 1 < words.count { host = words[i + 1]; i += 2; continue }
                if !w.hasPrefix("-"), host == nil { host = words[i] }
                i += 1
            }
            return .shellCommand(host: host, port: port)
        }
        if ["telnet", "nc", "ncat", "netcat", "telnet.exe"].contains(tool) {
            let args = words.dropFirst().filter { !$0.hasPrefix("-") }
            let host = args.first
            let port = args.count > 1 ? Int(args[args.startIndex + 1]) : (tool.hasPrefix("telnet") ? 23 : nil)
            return .shellCommand(host: host, port: port)
        }
        return .shell
    }
}
