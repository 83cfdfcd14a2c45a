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
        systemLibrary("CFreeType", pkgConfig: "freetype2", apt: "libfreetype-dev"),
        systemLibrary("CFontconfig", pkgConfig: "fontconfig", apt: "libfontconfig-dev"),
        systemLibrary("CDRM", pkgConfig: "libdrm", apt: "libdrm-dev"),
        // Linux kernel headers (fbdev, ioctl, terminal size): no library to link.
        .systemLibrary(name: "CLinux", path: "Sources/CLinux"),

        // Pure Swift, no I/O: everything about the codes themselves.
        .target(name: "PaymentCodes", dependencies: [.product(name: "TOMLKit", package: "TOMLKit")]),
        // Pixels: QR rasterising, PNG files, reading codes out of images.
        .target(name: "Imaging", dependencies: ["CQRencode", "CZbar", "CPNG", "CFreeType", "CFontconfig", "PaymentCodes",
                                               .product(name: "TOMLKit", package: "TOMLKit")]),
        // One protocol per device kind, one file per backend (DRM, fbdev, PNG, terminal, …).
        .target(name: "Devices", dependencies: ["Imaging", "CDRM", "CLinux"]),
        .executableTarget(
            name: "qrpos",
            dependencies: [
                "PaymentCodes", "Imaging", "Devices",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Vectors/ holds the shared QR vectors for clones without ../shared (read by path, not as a resource).
        .testTarget(name: "PaymentCodesTests", dependencies: ["PaymentCodes"], exclude: ["Vectors"]),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging", "PaymentCodes"]),
        .testTarget(name: "DevicesTests", dependencies: ["Devices", "Imaging"]),
        .testTarget(name: "qrposTests", dependencies: ["PaymentCodes"]),
    ]
)
