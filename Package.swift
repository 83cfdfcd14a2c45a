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
    ],
    targets: [
        systemLibrary("CQRencode", pkgConfig: "libqrencode", apt: "libqrencode-dev"),
        systemLibrary("CZbar", pkgConfig: "zbar", apt: "libzbar-dev"),
        systemLibrary("CPNG", pkgConfig: "libpng", apt: "libpng-dev"),

        // Pure Swift, no I/O: everything about the codes themselves.
        .target(name: "PaymentCodes", dependencies: [.product(name: "TOMLKit", package: "TOMLKit")]),
        // Pixels: QR rasterising, PNG files, reading codes out of images.
        .target(name: "Imaging", dependencies: ["CQRencode", "CZbar", "CPNG"]),
        .executableTarget(
            name: "qrpos",
            dependencies: [
                "PaymentCodes", "Imaging",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        .testTarget(name: "PaymentCodesTests", dependencies: ["PaymentCodes"]),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging", "PaymentCodes"]),
        .testTarget(name: "qrposTests", dependencies: ["PaymentCodes"]),
    ]
)
