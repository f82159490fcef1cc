import ArgumentParser
import ExplainServer

/// `smtpexplain serve`: the local web page and JSON API (see docs/serve.md).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a local web page (paste or upload, explained on the page) and a JSON API.",
        discussion: """
        Endpoints: GET / (the page), POST / (the page's form), POST /api/explain (raw body or multipart upload; \
        the JSON contract), GET /healthz.
        Binds to loopback unless --host says otherwise. Nothing is stored unless --keep is given. \
        SIGINT or SIGTERM stops the server after requests in progress finish.
        """
    )

    @Option(name: .long, help: "Address to listen on (a non-loopback address is logged as a warning).")
    var host = "127.0.0.1"

    @Option(name: .long, help: "Port to listen on (0 picks a free one).")
    var port = 8025

    @Option(name: .customLong("max-body"), help: "Largest input accepted, e.g. 50MB, 512k, 1GiB.")
    var maxBody = "50MB"

    @Option(name: .long, help: "Time limit per request (upload and explanation), e.g. 10s, 500ms, 1m.")
    var timeout = "10s"

    @Option(name: .customLong("max-concurrent"), help: "Explain requests handled at once; more get 503.")
    var maxConcurrent = 4

    @Option(name: .long, help: "Keep every submitted input and its JSON result in this folder (off by default).")
    var keep: String?

    func validate() throws {
        guard let bytes = ServeOptions.parseSize(maxBody), bytes > 0 else {
            throw ValidationError("--max-body '\(maxBody)': expected a size such as 50MB, 512k or 1GiB")
        }
        _ = bytes
        guard let t = ServeOptions.parseDuration(timeout), t > 0 else {
            throw ValidationError("--timeout '\(timeout)': expected a duration such as 10s, 500ms or 1m")
        }
        _ = t
        guard (0...65535).contains(port) else { throw ValidationError("--port \(port): expected 0 to 65535") }
        guard maxConcurrent >= 1 else { throw ValidationError("--max-concurrent must be at least 1") }
        guard !host.isEmpty else { throw ValidationError("--host must not be empty") }
    }

    func run() async throws {
        let options = ServeOptions(host: host, port: port, maxBody: ServeOptions.parseSize(maxBody)!,
                                   timeout: ServeOptions.parseDuration(timeout)!, maxConcurrent: maxConcurrent,
                                   keepDirectory: keep)
        let server: ExplainServer
        do {
            server = try ExplainServer(options: options)
        } catch let e as ServeSetupError {
            warn("smtpexplain serve: \(e.message)")
            throw ExitCode(2)
        }
        do {
            try await server.run()
        } catch {
            warn("smtpexplain serve: cannot serve on \(host):\(port): \(error)")
            throw ExitCode(1)
        }
    }
}
