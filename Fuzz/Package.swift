// swift-tools-version:6.1
// Fuzz harness for smtpexplain's readers. Kept out of the main package because it only links with
// `-sanitize=fuzzer` (libFuzzer supplies the driver). Run it through `scripts/fuzz`.
import PackageDescription

let package = Package(
    name: "smtpexplain-fuzz",
    dependencies: [.package(name: "smtpexplain", path: "..")],
    targets: [
        .executableTarget(
            name: "SMTPExplainFuzz",
            dependencies: [
                .product(name: "TranscriptModel", package: "smtpexplain"),
                .product(name: "Explainer", package: "smtpexplain"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
