// swift-tools-version: 6.0
import PackageDescription

/// One system-library target per C library: the pkg-config name and the Debian package providing it.
func systemLibrary(_ name: String, pkgConfig: String, apt: String) -> Target {
    .systemLibrary(name: name, path: "Sources/\(name)", pkgConfig: pkgConfig, providers: [.apt([apt])])
}

let package = Package(
    name: "qrpos",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "qrpos", targets: ["qrpos"]),
        .library(name: "PaymentCodes", targets: ["PaymentCodes"]),
        .library(name: "Imaging", targets: ["Imaging"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        // Acquirer link and simulator: TLS, HTTP, certificates, the simulator's ledger, logs.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // The ECR API registers drive the terminal with.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        // Metrics for a fleet: the Prometheus text format on a separate listen address, off by default.
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // FileDescriptor and Errno under Platform's SystemCall: every open, read, write, poll and ioctl, EINTR once.
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
    ],
    targets: [
        systemLibrary("CQRencode", pkgConfig: "libqrencode", apt: "libqrencode-dev"),
        systemLibrary("CZbar", pkgConfig: "zbar", apt: "libzbar-dev"),
        systemLibrary("CPNG", pkgConfig: "libpng", apt: "libpng-dev"),
        systemLibrary("CFreeType", pkgConfig: "freetype2", apt: "libfreetype-dev"),
        systemLibrary("CFontconfig", pkgConfig: "fontconfig", apt: "libfontconfig-dev"),
        // Text shaping (Thai, Khmer, Devanagari need it), and each script's line-break rules from Debian's ICU
        // (libicu-dev) behind a plain-C function: ICU's types would clash with the copy inside Foundation.
        systemLibrary("CHarfBuzz", pkgConfig: "harfbuzz", apt: "libharfbuzz-dev"),
        .target(name: "CLineBreaks", linkerSettings: [.linkedLibrary("icuuc")]),
        systemLibrary("CDRM", pkgConfig: "libdrm", apt: "libdrm-dev"),
        // systemd's service notification: READY and the watchdog of qrpos.service (Type=notify).
        systemLibrary("CSystemd", pkgConfig: "libsystemd", apt: "libsystemd-dev"),
        // Linux kernel headers (fbdev, ioctl, terminal size): no library to link.
        .systemLibrary(name: "CLinux", path: "Sources/CLinux"),
        // Camera (libv4l2 converts MJPEG and odd formats), status lights (libgpiod v1), shoppers' 1D codes (libzint).
        systemLibrary("CV4L2", pkgConfig: "libv4l2", apt: "libv4l-dev"),
        systemLibrary("CGPIOD", pkgConfig: "libgpiod", apt: "libgpiod-dev"),
        // The counter's tones through ALSA (a food court hears "paid").
        systemLibrary("CALSA", pkgConfig: "alsa", apt: "libasound2-dev"),
        // Camera-like still images are often JPEG (what zbarimg reads through ImageMagick).
        systemLibrary("CJPEG", pkgConfig: "libjpeg", apt: "libjpeg-dev"),
        // Every other image format, exactly as zbarimg reads it (ImageMagick 6's MagickWand), loaded with dlopen at the
        // first such image: not linked, so a counter that never sees one never maps it (and needs no headers to build).
        .target(name: "CMagickWand"),
        // Debian's libzint-dev 2.11 has no pkg-config file: the module map links "zint" by name.
        .systemLibrary(name: "CZint", path: "Sources/CZint", providers: [.apt(["libzint-dev"])]),

        // Where the programs find Assets/ and Board/ at run time, and the wallet registry found there.
        .target(name: "Installation", dependencies: ["PaymentCodes"]),
        // The few system rules every program shares: owner-only files, stop signals, the system calls (SystemCall).
        .target(name: "Platform", dependencies: ["CSystemd", "CLinux", .product(name: "SystemPackage", package: "swift-system")]),
        // Pure Swift, no I/O: everything about the codes themselves.
        .target(name: "PaymentCodes", dependencies: [.product(name: "TOMLKit", package: "TOMLKit")]),
        // Pixels: QR rasterising, PNG files, reading codes out of images.
        .target(name: "Imaging", dependencies: ["CQRencode", "CZbar", "CPNG", "CFreeType", "CFontconfig", "CHarfBuzz", "CLineBreaks", "CMagickWand", "PaymentCodes",
                                               .product(name: "TOMLKit", package: "TOMLKit")]),
        // One protocol per device kind, one file per backend (DRM, fbdev, PNG, terminal, …).
        .target(name: "Devices", dependencies: ["Imaging", "Platform", "CDRM", "CLinux", "CV4L2", "CGPIOD", "CALSA", "CZbar", "CJPEG", "CMagickWand", "PaymentCodes",
                                               .product(name: "TOMLKit", package: "TOMLKit"),
                                               .product(name: "SystemPackage", package: "swift-system")]),
        // Test and simulation fixtures, not firmware: shoppers' codes drawn as their wallets show them (QR, Code 128
        // through libzint), for `qrpos present`, the scanner corpus and the benches; sample JPEG and ImageMagick files.
        .target(name: "ShopperCodes", dependencies: ["Imaging", "CZint", "CJPEG", "CMagickWand"]),
        // The terminal's side of the host protocol: mutual TLS client, outcomes, development PKI.
        .target(name: "Acquirer", dependencies: [
            "PaymentCodes", "Platform",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // A real TLS acquirer host for tests, demos and bench tests of boards: ledger in SQLite, faults, wallets.
        .target(name: "AcquirerSimulator", dependencies: [
            "Acquirer", "PaymentCodes", "Platform",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOTLS", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "TOMLKit", package: "TOMLKit"),
        ]),
        .executableTarget(name: "acquirer-sim", dependencies: [
            "AcquirerSimulator", "Acquirer", "PaymentCodes", "Installation", "Platform",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The terminal: sale state machine, journal, recovery, ECR API, board configuration, the wiring.
        .target(name: "Terminal", dependencies: ["PaymentCodes", "Acquirer", "Imaging", "Devices", "CLinux", "Platform", "Installation", .product(name: "GRDB", package: "GRDB.swift"),
                                                .product(name: "TOMLKit", package: "TOMLKit"),
                                                .product(name: "Logging", package: "swift-log"),
                                                .product(name: "Hummingbird", package: "hummingbird"),
                                                .product(name: "Metrics", package: "swift-metrics"),
                                                .product(name: "X509", package: "swift-certificates"), // the certificate's days left
                                                .product(name: "Prometheus", package: "swift-prometheus"),
                                                // scrypt for the supervisors' PINs
                                                .product(name: "_CryptoExtras", package: "swift-crypto")]),
        .executableTarget(
            name: "qrpos",
            dependencies: [
                "PaymentCodes", "Imaging", "Devices", "ShopperCodes",
                "CZbar", // `qrpos bench` times a bare zbar_scan_image beside the scanner
                "Acquirer", "Terminal", "Installation",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Vectors/ holds the shared QR vectors for clones without ../shared (read by path, not as a resource).
        .testTarget(name: "PaymentCodesTests", dependencies: ["PaymentCodes"], exclude: ["Vectors"]),
        // Golden/ and Recorded/ are read by path from the tests, like Vectors/.
        .testTarget(name: "ImagingTests", dependencies: ["Imaging", "PaymentCodes", "CMagickWand"], exclude: ["Golden"]),
        .testTarget(name: "DevicesTests", dependencies: ["Devices", "Imaging", "CLinux"], exclude: ["Recorded"]), // CLinux: a pty for usblp
        // Camera, scanner and lights: a generated corpus of every wallet's codes, checked against zbarimg.
        .testTarget(name: "ScannerTests", dependencies: ["Devices", "Imaging", "PaymentCodes", "ShopperCodes", "CZint"]),
        .testTarget(name: "qrposTests", dependencies: ["PaymentCodes"]),
        // SystemCall against pipes and signals: EINTR retried once, short writes, poll's time left, typed ioctls.
        .testTarget(name: "PlatformTests", dependencies: ["Platform", "CLinux", .product(name: "SystemPackage", package: "swift-system")]),
        // The sale machine as values, and `qrpos run` end to end against `acquirer-sim` (both run as processes).
        .testTarget(name: "TerminalTests", dependencies: [
            "Terminal", "Acquirer",
            "AcquirerSimulator", // in-process runner tests: the simulator's Ledger behind an AcquirerLink
            .product(name: "HummingbirdTesting", package: "hummingbird"), // the ECR router tested in-process
            "PaymentCodes", // the merchant profile of an in-process runner
            .product(name: "GRDB", package: "GRDB.swift"), // a journal broken under the runner (500 answers)
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        // End to end against the real simulator over loopback TLS; pure ledger rules tested directly.
        .testTarget(name: "AcquirerTests", dependencies: [
            "Acquirer", "AcquirerSimulator", "PaymentCodes",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Logging", package: "swift-log"),
        ]),
    ]
)
