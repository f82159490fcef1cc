import Explainer
import TranscriptModel
#if canImport(Glibc)
import Glibc
#endif

/// One libFuzzer binary, several targets: `FUZZ_TARGET` names one — `detect` (format detection and whatever
/// reader it picks), a reader's format id (that reader forced), or `all-readers` (every reader in turn).
/// Each input goes through the whole path: read, rebuild, explain, render text and JSON.
enum Harness {
    nonisolated(unsafe) static var target = "detect"

    static func run(_ bytes: [UInt8]) {
        switch target {
        case "detect":
            explain(bytes, forced: nil)
        case "all-readers":
            for id in FormatDetector.formatIDs { explain(bytes, forced: id) }
        default:
            explain(bytes, forced: target)
        }
    }

    static func explain(_ bytes: [UInt8], forced: String?) {
        let explainer = Explainer()
        let text = TextRenderer(color: false)
        _ = try? InputDriver.read(name: "fuzz", bytes: bytes, options: InputOptions(forcedFormat: forced)) { s in
            let x = explainer.explain(s)
            let rendered = text.render(x, number: 1, of: 1) + JSONRenderer.line(x)
            // Terminal safety is part of the contract: a raw ESC in the output is a finding.
            if rendered.utf8.contains(0x1B) { abort() }
            for u in JSONRenderer.line(x).unicodeScalars where u.value < 0x20 { abort() }
        }
    }
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    Harness.run(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

/// SwiftPM renames an executable's `main`; this is the symbol it links as the entry point.
@_cdecl("SMTPExplainFuzz_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    if let t = getenv("FUZZ_TARGET") { Harness.target = String(cString: t) }
    if Harness.target == "list" {
        print((["detect", "all-readers"] + FormatDetector.formatIDs).joined(separator: "\n"))
        return 0
    }
    var c = argc
    var v = argv
    return LLVMFuzzerRunDriver(&c, &v) { data, size in fuzzOneInput(data, size) }
}
