import COpenSSL
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A tiny HTTPS server on 127.0.0.1 (ephemeral port) answering MTA-STS policy requests by their Host
/// header, with the self-signed certificate in Fixtures/, so `smtpexplain records` fetches policies
/// without leaving loopback.
final class TestHTTPSServer: Sendable {
    let port: UInt16
    /// Host → the whole HTTP answer.
    let answers: [String: String]

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static let certificate = fixtures.appendingPathComponent("mta-sts.records.test.pem").path
    static let key = fixtures.appendingPathComponent("mta-sts.records.test.key").path

    /// One server for the whole test process.
    static let shared: TestHTTPSServer? = TestHTTPSServer(answers: [
        // enforce mode, but the domain's MX (mx.records.test) is not among the `mx:` lines.
        "mta-sts.records.test": "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nversion: STSv1\r\nmode: enforce\r\nmx: mail.records.test\r\nmax_age: 604800\r\n",
        // The lab's MX in enforce mode: its self-signed certificate fails what MTA-STS senders check.
        "mta-sts.sts.probe.test": "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nversion: STSv1\r\nmode: enforce\r\nmx: mx.probe.test\r\nmax_age: 86400\r\n",
        "mta-sts.sts.test": "HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\n\r\n<html><body>Not Found</body></html>\r\n",
    ])

    init?(answers: [String: String]) {
        self.answers = answers
        // A client that gives up after the handshake must not kill the test process with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        guard let (fd, port) = loopbackSocket(SOCK_STREAM) else { return nil }
        self.port = port
        guard let ctx = SSL_CTX_new(TLS_server_method()),
              SSL_CTX_use_certificate_file(ctx, Self.certificate, SSL_FILETYPE_PEM) == 1,
              SSL_CTX_use_PrivateKey_file(ctx, Self.key, SSL_FILETYPE_PEM) == 1 else { close(fd); return nil }
        let server = self
        // The context is only used by the serving thread from here on.
        nonisolated(unsafe) let context = ctx
        Thread.detachNewThread { server.serve(fd, context) }
    }

    private func serve(_ fd: Int32, _ ctx: OpaquePointer) {
        while true {
            let c = accept(fd, nil, nil)
            guard c >= 0 else { continue }
            var tv = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            if let ssl = SSL_new(ctx) {
                SSL_set_fd(ssl, c)
                if SSL_accept(ssl) == 1 {
                    var request: [UInt8] = []
                    var buf = [UInt8](repeating: 0, count: 4096)
                    while request.count < 16_384, !String(decoding: request, as: UTF8.self).contains("\r\n\r\n") {
                        let n = buf.withUnsafeMutableBytes { SSL_read(ssl, $0.baseAddress, Int32($0.count)) }
                        if n <= 0 { break }
                        request += buf[0..<Int(n)]
                    }
                    let text = String(decoding: request, as: UTF8.self)
                    let host = text.split(separator: "\r\n").first { $0.lowercased().hasPrefix("host:") }
                        .map { $0.dropFirst(5).trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
                    let answer = answers[host] ?? "HTTP/1.1 421 Misdirected Request\r\n\r\n"
                    _ = Array(answer.utf8).withUnsafeBytes { SSL_write(ssl, $0.baseAddress, Int32($0.count)) }
                    SSL_shutdown(ssl)
                }
                SSL_free(ssl)
            }
            close(c)
        }
    }
}
