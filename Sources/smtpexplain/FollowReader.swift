import Synchronization
import TranscriptModel
#if canImport(Glibc)
import Glibc
#endif

/// `--follow`: read a growing file like `tail -f`, feeding new lines to the same reader, until Ctrl-C or
/// SIGTERM; then the reader is finished so open sessions are still printed.
enum FollowReader {
    static let stop = Atomic<Bool>(false)

    /// `--interface`: a live capture, each session printed as it closes.
    static func live(interface: String, options: InputOptions, emit: (Session) -> Void) throws {
        installHandlers()
        do {
            try CaptureReader(input: interface, options: options.capture)
                .readLive(interface: interface, shouldStop: { stop.load(ordering: .relaxed) }, emit: emit)
        } catch let e as CaptureError {
            throw InputError(input: interface, position: e.packet.map { "packet \($0)" }, message: e.message)
        }
    }

    static func read(path: String, options: InputOptions, emit: (Session) -> Void) throws -> InputInfo {
        installHandlers()
        return try InputDriver.follow(path: path, options: options, shouldStop: { stop.load(ordering: .relaxed) },
                                      emit: emit)
    }

    private static func installHandlers() {
        // A parent may have left these blocked in the mask we inherited; we need them.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        sigprocmask(SIG_UNBLOCK, &set, nil)
        signal(SIGINT) { _ in FollowReader.stop.store(true, ordering: .relaxed) }
        signal(SIGTERM) { _ in FollowReader.stop.store(true, ordering: .relaxed) }
    }
}
