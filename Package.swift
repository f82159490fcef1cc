// swift-tools-version:6.1
import PackageDescription

// Release builds of the two hot modules skip the run-time exclusivity checks. On a capture they cost 5% of
// the CPU, nearly all on the reader thread the workers wait for (a TCP flow's fields are class properties);
// without them a 100 MB capture runs 19% faster. Debug builds, and so the tests, keep the checks, and so
// does the fuzz harness (scripts/fuzz sets SMTPEXPLAIN_EXCLUSIVITY_CHECKS).
let releaseSpeed: [SwiftSetting] = Context.environment["SMTPEXPLAIN_EXCLUSIVITY_CHECKS"] != nil ? [] : [
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

// Release executables link the Swift runtime and Foundation statically (what `--static-swift-stdlib` does):
// the loader then has three dozen fewer libraries to map and bind, and every runtime call (retain, release,
// ...) is a direct call instead of one through the PLT. Measured on this machine: a 50-line paste 21.6 to
// 16.2 ms, a Postfix log 27% and a capture 15% less wall time. Debug builds (the tests) stay dynamic.
// The executable's own module is compiled with the flag too: it then names the static libraries Foundation needs.
let staticRuntime: [LinkerSetting] = [.unsafeFlags(["-static-stdlib"], .when(configuration: .release))]
let staticRuntimeModule: [SwiftSetting] = [.unsafeFlags(["-static-stdlib"], .when(configuration: .release))]

let package = Package(
    name: "smtpexplain",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "smtpexplain", targets: ["smtpexplain"]),
        .library(name: "TranscriptModel", targets: ["TranscriptModel"]),
        .library(name: "Explainer", targets: ["Explainer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CPcap",
            path: "Sources/CPcap",
            providers: [.apt(["libpcap-dev"])]
        ),
        .systemLibrary(
            name: "CLibXML2",
            path: "Sources/CLibXML2",
            pkgConfig: "libxml-2.0",
            providers: [.apt(["libxml2-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            path: "Sources/CZlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // xz, zstd and bzip2, for rotated logs compressed with them.
        .systemLibrary(
            name: "CDecompress",
            path: "Sources/CDecompress",
            providers: [.apt(["liblzma-dev", "libzstd-dev", "libbz2-dev"])]
        ),
        // sd-journal, to read binary journal files (`system.journal`) without journalctl.
        .systemLibrary(
            name: "CSystemd",
            path: "Sources/CSystemd",
            pkgConfig: "libsystemd",
            providers: [.apt(["libsystemd-dev"])]
        ),
        .target(
            name: "TranscriptModel",
            dependencies: ["CPcap", "CLibXML2", "CZlib", "CDecompress", "CSystemd", "COpenSSL"],
            swiftSettings: releaseSpeed
        ),
        .target(
            name: "Explainer",
            dependencies: ["TranscriptModel", "CLibXML2", .product(name: "Yams", package: "Yams")],
            exclude: ["Knowledge/README.md", "Summary/README.md"],
            swiftSettings: releaseSpeed
        ),
        // The local web page (`smtpexplain serve`): a library so the tests can start it in-process.
        .target(
            name: "ExplainServer",
            dependencies: [
                "TranscriptModel",
                "Explainer",
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
        .systemLibrary(
            name: "COpenSSL",
            path: "Sources/COpenSSL",
            providers: [.apt(["libssl-dev"])]
        ),
        .target(name: "Probe", dependencies: ["TranscriptModel", "COpenSSL"]),
        .executableTarget(
            name: "smtpexplain",
            dependencies: [
                "TranscriptModel",
                "Explainer",
                "ExplainServer",
                "Probe",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: staticRuntimeModule,
            linkerSettings: staticRuntime
        ),
        // Per-component timings of the hot paths (`swift run -c release Benchmarks`); see scripts/bench for
        // the whole tool against its peers.
        .executableTarget(name: "Benchmarks", dependencies: ["TranscriptModel", "Explainer"], path: "Benchmarks",
                         swiftSettings: staticRuntimeModule, linkerSettings: staticRuntime),
        .testTarget(name: "TranscriptModelTests", dependencies: ["TranscriptModel", "COpenSSL"]),
        // Resources: IANA's registry text, read by path (not bundled).
        .testTarget(name: "ExplainerTests", dependencies: ["Explainer", "TranscriptModel"], exclude: ["Resources"]),
        // Fixtures: the test HTTPS server's certificate and key (read by path, not bundled).
        .testTarget(name: "ProbeTests", dependencies: ["Probe", "Explainer", "TranscriptModel", "COpenSSL"], exclude: ["Fixtures"]),
        .testTarget(
            name: "ServerTests",
            dependencies: [
                "ExplainServer",
                "Explainer",
                "TranscriptModel",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["smtpexplain"],
            resources: []
        ),
    ],
    swiftLanguageModes: [.v6]
)
