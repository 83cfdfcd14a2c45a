import ArgumentParser
import Devices
import Foundation
import PaymentCodes

/// `qrpos scan`: shoppers' codes from a live camera, a watched folder, or image files.
struct ScanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan", abstract: "Read shoppers' codes from a camera or from image files; one JSON line per code or per image.",
        discussion: """
        --camera /dev/videoN (or a folder to watch for new images) prints the decode JSON of each new code with a \
        timestamp; a code held in view is printed once (--window). --images FILE|DIR… prints {"file": …, "codes": […]} \
        per image, reading every line of the image and trying harder (inverted, contrast, scale) before giving up.
        """)

    @Option(help: "A V4L2 camera (/dev/videoN), or a folder watched for new images.") var camera: String?
    @Option(help: "Use the camera of this board file (Board/NAME).") var board: String?
    @Option(help: "With --board: the state folder its relative folders are taken from.") var state: String = ".run"
    @Option(parsing: .upToNextOption, help: "Image files or folders of images (PNG, JPEG, PGM/PPM, BMP, GIF, TIFF, WebP, … as zbarimg reads).") var images: [String] = []
    @Option(help: "zbar scan density: 1 every line, 2 every other line (default: 2 for cameras, 1 for images).") var density: Int?
    @Option(help: "Seconds a code must be out of view before it counts as shown again.") var window: Double = 3
    @Option(help: "Camera size asked of the driver, WxH (the driver decides).") var size: String = "1280x720"
    @Option(help: "Stop after this many frames (cameras).") var frames: Int?
    @Option(help: "Stop after this many seconds (cameras).") var seconds: Double?
    @Option(help: "Wallet registry file (default: Assets/wallets.toml).") var registry: String?
    @Flag(help: "Log each code read (masked) and camera events on stderr.") var verbose = false

    func validate() throws {
        let sources = [camera != nil, board != nil, !images.isEmpty].filter { $0 }.count
        guard sources == 1 else { throw ValidationError("give one of --camera DEVICE|FOLDER, --board Board/NAME or --images FILE|DIR…") }
        if let density, !(1...8).contains(density) { throw ValidationError("--density must be 1 to 8") }
        guard window >= 0, window <= 3600 else { throw ValidationError("--window must be 0 to 3600 seconds") }
        guard parsedSize != nil else { throw ValidationError("--size is WxH, e.g. 1280x720") }
    }

    var parsedSize: (Int, Int)? {
        let parts = size.lowercased().split(separator: "x").compactMap { Int($0) }
        return parts.count == 2 && parts.allSatisfy({ (16...8192).contains($0) }) ? (parts[0], parts[1]) : nil
    }

    func run() throws {
        let classifier = Classifier(registry: try Assets.registry(registry))
        let log: ((String) -> Void)? = verbose ? { printError($0) } : nil
        if !images.isEmpty {
            var settings = CodeScanner.Settings.stillImages
            if let density { settings.density = density }
            let scanner = CodeScanner(classifier: classifier, settings: settings, log: log)
            if try !stills(ImageFolderCamera(files: images), scanner) { throw ExitCode(1) }
            return
        }
        let source = try openCamera()
        defer { source.close() }
        if verbose { printError("scanning \(source.description)") }
        let settings = CodeScanner.Settings(density: density ?? 2, window: .milliseconds(Int(window * 1000)))
        try live(source, CodeScanner(classifier: classifier, settings: settings, log: log))
    }

    private func openCamera() throws -> any Camera {
        let log: (String) -> Void = { printError("camera: " + $0) }
        do {
            if let board { return try BoardFile.devices(board, state: state).openCamera(log: log) }
            var isFolder: ObjCBool = false
            if let camera, FileManager.default.fileExists(atPath: camera, isDirectory: &isFolder), isFolder.boolValue {
                return try ImageFolderCamera(watching: camera)
            }
            let (w, h) = parsedSize!
            return try V4L2Camera(device: camera!, width: w, height: h, log: log)
        } catch let error as DeviceError { throw Failure(error.description) }
    }

    /// One line per image (the codes of all its frames); false when an image could not be read or held no code.
    private func stills(_ source: ImageFolderCamera, _ scanner: CodeScanner) throws -> Bool {
        var allRead = true, images = 0
        while true {
            var line: JSONValue?
            var file = "", codes: [ScannedCode] = []
            let outcome = try deviceCall { () throws(DeviceError) -> CaptureOutcome in try source.capture(timeoutMilliseconds: 0) { frame in
                file = frame.file ?? ""
                codes += scanner.scan(frame).filter { code in !codes.contains { $0.text == code.text } }
            } }
            if outcome == .frame {
                images += 1
                line = .object([("file", .string(file)), ("codes", .array(codes.map { Self.json($0) }))])
                if codes.isEmpty { allRead = false }
            }
            switch outcome {
            case .finished:
                if images == 0 && allRead { printError("no images found in \(self.images.joined(separator: " "))"); return false }
                return allRead
            case let .unreadable(file, reason):
                images += 1
                allRead = false
                line = .object([("file", .string(file)), ("error", .string(reason)), ("codes", .array([]))])
            case .frame, .nothing: break
            }
            if let line { emit(line) }
        }
    }

    private func live(_ source: any Camera, _ scanner: CodeScanner) throws {
        let clock = ContinuousClock(), start = clock.now
        var frameCount = 0
        while frames.map({ frameCount < $0 }) ?? true, seconds.map({ clock.now - start < .milliseconds(Int($0 * 1000)) }) ?? true {
            let outcome = try deviceCall { () throws(DeviceError) -> CaptureOutcome in try source.capture(timeoutMilliseconds: 200) { frame in
                frameCount += 1
                for code in scanner.scan(frame) {
                    var fields: [(String, JSONValue)] = []
                    if case let .object(pairs) = Self.json(code) { fields = pairs }
                    fields.append(("timestamp", .string(Self.timestamp(Date()))))
                    emit(.object(fields))
                }
            } }
            if case let .unreadable(file, reason) = outcome { printError("\(file): \(reason)") }
            if outcome == .finished { break }
        }
    }

    static func json(_ code: ScannedCode) -> JSONValue {
        guard case var .object(pairs) = code.report.json else { return code.report.json }
        pairs.append(("symbology", .string(code.symbology.rawValue)))
        if code.attempt != .asIs { pairs.append(("attempt", .string(code.attempt.rawValue))) }
        return .object(pairs)
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    private func emit(_ value: JSONValue) {
        print(value.serialized)
        // Lines go to a register or a pipe as they happen, not when a buffer fills.
        fflush(nil)
    }

    private func deviceCall(_ body: () throws(DeviceError) -> CaptureOutcome) throws -> CaptureOutcome {
        do { return try body() } catch { throw Failure(error.description) }
    }
}
