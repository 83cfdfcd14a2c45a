// swift-tools-version: 6.0
import PackageDescription

// libFuzzer targets for every parser of outside input (README, "Fuzzing"; run with `make fuzz`).
//
// Its own package, never part of the root build: the root package's dependency graph (NIO, Hummingbird,
// GRDB, …) is not needed here. The parsers are the root's own files compiled again, through the symlink
// RootSources -> ../Sources (SwiftPM refuses target paths outside the package root): no copies.
// Build it only with the sanitizers (`--sanitize=fuzzer --sanitize=address`, see the Makefile).
let package = Package(
    name: "qrpos-fuzz",
    dependencies: [
        // The same requirement as the root package, so the guard is fuzzed against the toml++ it ships with.
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    ],
    targets: [
        // The codes, the classifier, the registry, TOMLText: the whole PaymentCodes module, TOMLKit its only dependency.
        .target(name: "PaymentCodes", dependencies: [.product(name: "TOMLKit", package: "TOMLKit")],
                path: "RootSources/PaymentCodes"),
        // The ECR request body: SaleRequest and the SaleMode it needs (pure Foundation + PaymentCodes).
        .target(name: "ECRRequest", dependencies: ["PaymentCodes"], path: "RootSources/Terminal",
                sources: ["ECR/SaleRequest.swift", "Sale/Sale.swift"]),
        // The acquirer's answers: AnswerReading, the outcome types and the protocol types (pure Foundation).
        .target(name: "AcquirerAnswers", dependencies: ["PaymentCodes"], path: "RootSources/Acquirer",
                sources: ["Client/AnswerReading.swift", "Client/AcquirerOutcome.swift", "LogMask.swift",
                          "Protocol/Charges.swift", "Protocol/HostInfo.swift", "Protocol/Orders.swift",
                          "Protocol/PaymentStatus.swift", "Protocol/Refunds.swift", "Protocol/WireFormat.swift"]),

        // The invariant helper the harnesses share.
        .target(name: "FuzzSupport", path: "Harnesses/FuzzSupport"),

        harness("FuzzMerchantCode", ["PaymentCodes"]),
        harness("FuzzClassifier", ["PaymentCodes"]),
        harness("FuzzTOML", ["PaymentCodes", .product(name: "TOMLKit", package: "TOMLKit")]),
        harness("FuzzSaleRequest", ["ECRRequest", "PaymentCodes"]),
        harness("FuzzAcquirerAnswer", ["AcquirerAnswers"]),
    ]
)

/// One libFuzzer executable: `LLVMFuzzerTestOneInput` in Harnesses/NAME, no `main` (libFuzzer's).
func harness(_ name: String, _ dependencies: [Target.Dependency]) -> Target {
    .executableTarget(name: name, dependencies: dependencies + ["FuzzSupport"], path: "Harnesses/\(name)",
                      swiftSettings: [.unsafeFlags(["-parse-as-library"])])
}
