import Foundation
import Hummingbird
import Explainer
import TranscriptModel

/// `smtpexplain serve`: the page (`GET /`, `POST /`), the JSON API (`POST /api/explain`) and `GET /healthz`,
/// with a body size limit, a per-request time limit and a bound on explain requests in progress.
public struct ExplainServer: Sendable {
    public let options: ServeOptions
    let explainer: Explainer
    let gate: ConcurrencyGate
    let keep: KeepFolder?
    let log: @Sendable (String) -> Void

    /// Throws a message when `--keep DIR` cannot be used.
    public init(options: ServeOptions, explainer: Explainer = Explainer(),
                log: @escaping @Sendable (String) -> Void = ExplainServer.stderrLog) throws {
        self.options = options
        self.explainer = explainer
        self.gate = ConcurrencyGate(limit: options.maxConcurrent)
        self.log = log
        if let dir = options.keepDirectory {
            do { keep = try KeepFolder(path: dir) } catch let e as RequestProblem {
                throw ServeSetupError(message: e.message)
            } catch {
                throw ServeSetupError(message: "--keep \(dir): \(error.localizedDescription)")
            }
        } else {
            keep = nil
        }
    }

    /// The routes, with errors of the framework (404, 405, parse errors) turned into short text answers.
    public func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: PlainErrors())
        router.get("/") { _, _ in
            Self.html(.ok, Page.standalone(self.options))
        }
        router.post("/") { request, _ in
            await self.explain(request, api: false)
        }
        router.post("/api/explain") { request, _ in
            await self.explain(request, api: true)
        }
        router.get("/healthz") { _, _ in
            Self.text(.ok, "ok")
        }
        return router
    }

    /// The application, bound to `options.host`:`options.port`. `onRunning` gets the bound port.
    public func application(onRunning: @escaping @Sendable (Int) async -> Void = { _ in })
        -> some ApplicationProtocol {
        // Connections that say nothing (idle keep-alives, clients that never send a request) are closed.
        let idle = Int64(max(60, options.timeout * 2))
        return Application(
            router: router(),
            server: .http1(configuration: .init(idleTimeout: .seconds(idle))),
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: nil),
            onServerRunning: { channel in
                await onRunning(channel.localAddress?.port ?? options.port)
            }
        )
    }

    /// Runs until SIGINT or SIGTERM, then lets requests in progress finish.
    public func run() async throws {
        if let warning = options.exposureWarning { log(warning) }
        let host = options.host.contains(":") ? "[\(options.host)]" : options.host
        let opts = options
        let log = self.log
        try await application { port in
            log("smtpexplain serve: listening on http://\(host):\(port)/ (max body \(ServeOptions.describe(bytes: opts.maxBody)), "
                + "timeout \(ServeOptions.describe(seconds: opts.timeout)), \(opts.maxConcurrent) at once"
                + (opts.keepDirectory.map { ", keeping inputs in \($0)" } ?? ", storing nothing") + "); Ctrl-C stops")
        }.runService(gracefulShutdownSignals: [.sigterm, .sigint])
        log("smtpexplain serve: stopped")
    }

    public static let stderrLog: @Sendable (String) -> Void = { line in
        FileHandle.standardError.write(Data((Sanitizer.terminal(line) + "\n").utf8))
    }

    // MARK: - Explaining

    /// Which part of a request ran out of time.
    private final class Phase: @unchecked Sendable {
        private let lock = NSLock()
        private var explaining = false
        func startExplaining() { lock.lock(); explaining = true; lock.unlock() }
        var isExplaining: Bool { lock.lock(); defer { lock.unlock() }; return explaining }
    }

    struct BodyTooLarge: Error {}

    func explain(_ request: Request, api: Bool) async -> Response {
        let started = DispatchTime.now().uptimeNanoseconds
        let path = api ? "POST /api/explain" : "POST /"
        func done(_ r: Response, _ detail: String = "") -> Response {
            let ms = (DispatchTime.now().uptimeNanoseconds - started) / 1_000_000
            log("\(path) \(r.status.code) \(ms) ms" + (detail.isEmpty ? "" : " " + detail))
            return r
        }
        guard let lease = gate.tryAcquire() else {
            return done(problem(.serviceUnavailable,
                                "Busy: \(gate.limit) request\(gate.limit == 1 ? " is" : "s are") being explained already. Try again in a moment.",
                                api: api, retryAfter: true))
        }
        let maxBody = options.maxBody
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > maxBody {
            return done(problem(.contentTooLarge, tooLargeMessage, api: api))
        }
        let contentType = request.headers[.contentType] ?? ""
        let rawName = request.uri.queryParameters.get("name")
        let phase = Phase()
        do {
            let body = request.body
            let response = try await withTimeLimit(seconds: options.timeout) { [self] in
                var bytes: [UInt8] = []
                for try await chunk in body {
                    if bytes.count + chunk.readableBytes > maxBody { throw BodyTooLarge() }
                    bytes.append(contentsOf: chunk.readableBytesView)
                }
                let submission = try Submission.from(contentType: contentType, body: bytes, rawName: rawName, api: api)
                phase.startExplaining()
                return try await onWorker(holding: lease) { self.respond(submission, api: api) }
            }
            return done(response.0, response.1)
        } catch is BodyTooLarge {
            return done(problem(.contentTooLarge, tooLargeMessage, api: api))
        } catch let p as RequestProblem {
            return done(problem(p.status, p.message, api: api))
        } catch is TimeLimitExceeded {
            let limit = ServeOptions.describe(seconds: options.timeout)
            if phase.isExplaining {
                return done(problem(.serviceUnavailable,
                                    "Explaining this input took longer than the server's limit of \(limit). Try a smaller excerpt (one session or a few minutes of log), or the smtpexplain command line.",
                                    api: api))
            }
            return done(problem(.requestTimeout, "The upload did not arrive within \(limit).", api: api))
        } catch {
            // Never a stack trace or an empty 500: the client gets a sentence, the log gets the error type.
            log("\(path): unexpected error: \(type(of: error))")
            return done(problem(.internalServerError, "The input could not be explained because of an internal error.", api: api))
        }
    }

    var tooLargeMessage: String {
        "The input is larger than this server's limit of \(ServeOptions.describe(bytes: options.maxBody)). "
            + "Send an excerpt, or run the smtpexplain command line on the file."
    }

    /// Reads, explains and renders: runs on a worker thread. Returns the response and a note for the log.
    func respond(_ submission: Submission, api: Bool) -> (Response, String) {
        let r = ExplainResult.run(submission, explainer: explainer,
                                  cap: api ? options.apiSessions : options.pageSessions)
        if let keep { _ = keep.store(submission, result: r) }
        let note = "\(r.inputs) input\(r.inputs == 1 ? "" : "s"), \(r.sessions.count + r.omitted) session\(r.sessions.count + r.omitted == 1 ? "" : "s")"
            + (r.errors.isEmpty ? "" : ", \(r.errors.count) unreadable")
        let status: HTTPResponse.Status = r.allFailed ? .unprocessableContent : .ok
        if api {
            var response = Self.body(status, "application/json; charset=utf-8",
                                     JSONRenderer.document(r.sessions, errors: r.errors))
            if r.omitted > 0 { response.headers[Self.omittedHeader] = String(r.omitted) }
            return (response, note)
        }
        return (Self.html(status, Page.result(r, options, paste: submission.paste)), note)
    }

    // MARK: - Responses

    static let omittedHeader = HTTPFields.Element.Name("X-Sessions-Omitted")!
    static let referrerPolicy = HTTPFields.Element.Name("Referrer-Policy")!

    /// The page answers with the page (form and message); the API with a line of text.
    func problem(_ status: HTTPResponse.Status, _ message: String, api: Bool, retryAfter: Bool = false) -> Response {
        var r = api ? Self.text(status, message) : Self.html(status, Page.standalone(options, alert: message))
        if retryAfter { r.headers[.retryAfter] = "2" }
        return r
    }

    static func text(_ status: HTTPResponse.Status, _ s: String) -> Response {
        body(status, "text/plain; charset=utf-8", s + "\n")
    }

    static func html(_ status: HTTPResponse.Status, _ s: String) -> Response {
        var r = body(status, "text/html; charset=utf-8", s)
        // Defence in depth: the page has no scripts and loads nothing; inputs may carry markup.
        r.headers[.contentSecurityPolicy] =
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
        return r
    }

    static func body(_ status: HTTPResponse.Status, _ type: String, _ s: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[.cacheControl] = "no-store"
        headers[.xContentTypeOptions] = "nosniff"
        headers[Self.referrerPolicy] = "no-referrer"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: s)))
    }
}

/// A setting that keeps the server from starting (e.g. an unusable `--keep` folder).
public struct ServeSetupError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// Framework errors (unknown path, wrong method, unreadable request) as a short line of text, so no answer
/// is ever an empty error page; anything unexpected becomes a plain 500 sentence.
struct PlainErrors<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context,
                next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let e as any HTTPResponseError {
            let text: String
            switch e.status {
            case .notFound: text = "Not found. The page is at /, the API at POST /api/explain."
            case .methodNotAllowed: text = "Method not allowed here."
            default: text = "\(e.status.code) \(e.status.reasonPhrase)"
            }
            var r = ExplainServer.text(e.status, text)
            if e.status == .methodNotAllowed { r.headers[.allow] = "GET, POST" }
            return r
        } catch {
            return ExplainServer.text(.internalServerError, "Internal error.")
        }
    }
}
