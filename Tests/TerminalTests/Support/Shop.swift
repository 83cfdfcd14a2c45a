import Acquirer
import Terminal
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// A temporary shop: the real `acquirer-sim` and the real `qrpos run` as processes, with their own PKI,
/// journal, ledger and ports, talked to as a register and a shopper would (ECR API, /sim endpoints).
final class Shop: @unchecked Sendable {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let binaries = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()

    let folder: String
    let ecrPort: Int
    var simPort = 0
    var sim: Process?
    var terminal: Process?
    let http = HTTPClient(eventLoopGroupProvider: .singleton)
    var simClient: HTTPClient?
    var token = ""

    struct Failure: Error, CustomStringConvertible { var description: String }

    /// `devices: false` writes a board file without [camera] and [lights] (a counter that only shows codes).
    init(codeLifetime: Int = 120, clockSynchronised: Bool = true, devices: Bool = true) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("qrpos-shop-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: folder + "/board", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: folder + "/camera", withIntermediateDirectories: true)
        ecrPort = Self.freePort()
        try """
        name = "test"
        [display]
        backend = "png"
        folder = "\(folder)/screens"
        size = "480x320"
        \(devices ? "[camera]\nbackend = \"images\"\nfolder = \"\(folder)/camera\"\n[lights]\nbackend = \"simulated\"" : "")
        [keypad]
        backend = "none"
        [clock]
        source = "simulated"
        synchronised = \(clockSynchronised)
        """.write(toFile: folder + "/board/board.toml", atomically: true, encoding: .utf8)
        let run = try Self.run("qrpos", ["pki", "dev", "--out", folder + "/pki", "--terminal-id", "SHOP-01"])
        guard run.status == 0 else { throw Failure(description: "pki dev failed: \(run.stderr)") }
        self.codeLifetime = codeLifetime
    }

    let codeLifetime: Int

    func writeTerminalFile() throws {
        var text = try String(contentsOf: Self.repository.appendingPathComponent("Board/sim/terminal.toml"), encoding: .utf8)
        text = text.replacingOccurrences(of: "https://127.0.0.1:8443", with: "https://127.0.0.1:\(simPort)")
            .replacingOccurrences(of: "127.0.0.1:8417", with: "127.0.0.1:\(ecrPort)")
            .replacingOccurrences(of: "code_lifetime = 180", with: "code_lifetime = \(codeLifetime)")
            .replacingOccurrences(of: "read_timeout = 25", with: "read_timeout = 6")
            .replacingOccurrences(of: "request_timeout = 10", with: "request_timeout = 4")
        try text.write(toFile: folder + "/terminal.toml", atomically: true, encoding: .utf8)
    }

    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { Glibc.close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func run(_ name: String, _ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = name.hasPrefix("/") ? URL(fileURLWithPath: name) : binaries.appendingPathComponent(name)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(["QRPOS_HOME": repository.path]) { $1 }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out; process.standardError = err
        try process.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    // MARK: the acquirer simulator

    /// Starts acquirer-sim (on the same port after a restart, so the terminal finds it again).
    func startAcquirer(_ extra: [String] = []) throws {
        let process = Process()
        process.executableURL = Self.binaries.appendingPathComponent("acquirer-sim")
        process.arguments = ["--listen", "127.0.0.1:\(simPort)", "--pki", folder + "/pki", "--db", folder + "/ledger.sqlite", "--log-level", "warning"] + extra
        process.environment = ProcessInfo.processInfo.environment.merging(["QRPOS_HOME": Self.repository.path]) { $1 }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { throw Failure(description: "acquirer-sim exited before listening") }
            line += chunk
        }
        let text = String(decoding: line, as: UTF8.self)
        guard let port = text.split(separator: ":").last.flatMap({ Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }) else {
            throw Failure(description: "unexpected first line from acquirer-sim: \(text)")
        }
        simPort = port
        sim = process
        if simClient == nil {
            // The terminal's own identity: the simulator serves /sim only to clients of its CA.
            let tls = try TerminalTLS.configuration(.init(pkiFolder: folder + "/pki"))
            simClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
        }
    }

    func stopAcquirer() {
        sim?.terminate(); sim?.waitUntilExit(); sim = nil
    }

    func simRequest(_ method: HTTPMethod, _ path: String, _ body: String? = nil) async throws -> (Int, [String: Any]) {
        var request = HTTPClientRequest(url: "https://127.0.0.1:\(simPort)\(path)")
        request.method = method
        if let body { request.body = .bytes(ByteBuffer(string: body)); request.headers.add(name: "Content-Type", value: "application/json") }
        let response = try await simClient!.execute(request, timeout: .seconds(10))
        let data = try await response.body.collect(upTo: 1 << 22)
        return (Int(response.status.code), (try? JSONSerialization.jsonObject(with: Data(buffer: data)) as? [String: Any]) ?? [:])
    }

    func ledger() async throws -> (orders: [[String: Any]], charges: [[String: Any]], refunds: [[String: Any]]) {
        let (_, body) = try await simRequest(.GET, "/sim/ledger")
        return (body["orders"] as? [[String: Any]] ?? [], body["charges"] as? [[String: Any]] ?? [], body["refunds"] as? [[String: Any]] ?? [])
    }

    // MARK: the terminal

    func startTerminal(crashAt: String? = nil) throws {
        try writeTerminalFile()
        let process = Process()
        process.executableURL = Self.binaries.appendingPathComponent("qrpos")
        process.arguments = ["run", "--board", folder + "/board", "--config", folder + "/terminal.toml", "--state", folder, "--log-level", "info"]
        var environment = ProcessInfo.processInfo.environment.merging(["QRPOS_HOME": Self.repository.path]) { $1 }
        environment["QRPOS_CRASH_AT"] = crashAt
        process.environment = environment
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        FileManager.default.createFile(atPath: folder + "/terminal.log", contents: nil)
        let log = FileHandle(forWritingAtPath: folder + "/terminal.log")!
        log.seekToEndOfFile()
        process.standardError = log
        try process.run()
        terminal = process
    }

    /// Waits until the ECR API answers (the terminal is up) or the process has died.
    func waitForTerminal() async throws {
        for _ in 0..<200 {
            if let token = try? String(contentsOfFile: folder + "/ecr.token", encoding: .utf8) { self.token = token.trimmingCharacters(in: .whitespacesAndNewlines) }
            if !token.isEmpty, let (status, _) = try? await ecr(.GET, "/v1/health"), status == 200 || status == 503 { return }
            guard terminal?.isRunning == true else { throw Failure(description: "qrpos run exited: \(log())") }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw Failure(description: "qrpos run did not answer: \(log())")
    }

    func log() -> String { (try? String(contentsOfFile: folder + "/terminal.log", encoding: .utf8)) ?? "" }

    func stopTerminal() {
        terminal?.terminate(); terminal?.waitUntilExit(); terminal = nil
    }

    /// Waits for the terminal to die by itself (a crash point).
    func waitForCrash() async throws -> Int32 {
        for _ in 0..<300 {
            if terminal?.isRunning == false { return terminal!.terminationStatus }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw Failure(description: "qrpos did not stop at the crash point")
    }

    func ecr(_ method: HTTPMethod, _ path: String, _ body: String? = nil, token: String? = nil, scheme: String = "Bearer") async throws -> (Int, [String: Any]) {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(ecrPort)\(path)")
        request.method = method
        if let bearer = token ?? self.token as String?, !bearer.isEmpty { request.headers.add(name: "Authorization", value: "\(scheme) \(bearer)") }
        if let body { request.body = .bytes(ByteBuffer(string: body)); request.headers.add(name: "Content-Type", value: "application/json") }
        let response = try await http.execute(request, timeout: .seconds(70))
        let data = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), (try? JSONSerialization.jsonObject(with: Data(buffer: data)) as? [String: Any]) ?? [:])
    }

    /// Starts a sale and returns its id.
    func sale(_ amount: Int = 1200, mode: String = "show") async throws -> String {
        let (status, body) = try await ecr(.POST, "/v1/sales", "{\"amount\": \(amount), \"currency\": \"JPY\", \"reference\": \"R-\(amount)\", \"mode\": \"\(mode)\"}")
        guard status == 201, let id = body["id"] as? String else { throw Failure(description: "sale not started: \(status) \(body)") }
        return id
    }

    /// The shopper scans the shown code and pays. The terminal registers the order with the host just after the
    /// register's 201, so on a loaded machine the host may not know it for a moment: 404 is asked again for 10 s.
    func shopperPays(_ id: String, wallet: String = "paypay") async throws -> (Int, [String: Any]) {
        var answer = try await simRequest(.POST, "/sim/orders/\(id)/pay", "{\"wallet\": \"\(wallet)\"}")
        for _ in 0..<50 where answer.0 == 404 {
            try await Task.sleep(for: .milliseconds(200))
            answer = try await simRequest(.POST, "/sim/orders/\(id)/pay", "{\"wallet\": \"\(wallet)\"}")
        }
        return answer
    }

    /// Sale ids in the terminal's journal (for a sale whose start the register never heard back about).
    func journalledSaleIDs() async throws -> [String] {
        try Journal(path: folder + "/journal.sqlite").recent().map(\.id)
    }

    /// A shopper holds up their wallet's code: rendered with `qrpos present` into the camera folder.
    func present(_ code: String) throws {
        let run = try Self.run("qrpos", ["present", code, "--into", folder + "/camera"])
        guard run.status == 0 else { throw Failure(description: "present failed: \(run.stderr)") }
    }

    /// Waits until the simulated panel's texts (screens/latest.txt) contain `text`, for up to `limit` seconds.
    func screenSays(_ text: String, limit: Int = 10) async throws -> Bool {
        for _ in 0..<limit * 5 {
            if let shown = try? String(contentsOfFile: folder + "/screens/latest.txt", encoding: .utf8), shown.contains(text) { return true }
            try await Task.sleep(for: .milliseconds(200))
        }
        return false
    }

    /// Waits until the sale reaches `status` (e.g. awaiting-code) or gives up after `limit` seconds.
    func wait(_ id: String, for status: String, limit: Int = 20) async throws -> Bool {
        for _ in 0..<(limit * 10) {
            let (_, body) = try await ecr(.GET, "/v1/sales/\(id)")
            if body["status"] as? String == status { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    /// Long-polls until the sale is final (or `limit` seconds pass) and returns its status.
    func finalStatus(_ id: String, limit: Int = 60) async throws -> String {
        let deadline = Date().addingTimeInterval(TimeInterval(limit))
        var last = ""
        while Date() < deadline {
            let (_, body) = try await ecr(.GET, "/v1/sales/\(id)?wait=5")
            last = body["status"] as? String ?? ""
            if ["paid", "declined", "expired", "cancelled", "refunded"].contains(last) { return last }
        }
        return last
    }

    func close() async {
        stopTerminal()
        stopAcquirer()
        try? await http.shutdown()
        try? await simClient?.shutdown()
        try? FileManager.default.removeItem(atPath: folder)
    }
}
