import Acquirer
import AcquirerSimulator
import ArgumentParser
import Foundation
import NIOCore
import NIOSSL

/// `make bench`: per-sale latency through the `Acquirer` client against a separate simulator process over
/// loopback TLS, handshakes per sale, and the same requests from a bare client on one open connection.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench", abstract: "Measure sales over loopback TLS against a fresh simulator.")

    @Option(help: "Sales per measurement.") var sales = 1000
    @Option(help: "Sales sent first and not measured (connections opened, code paths warmed).") var warmUp = 50

    struct Failure: Error, CustomStringConvertible { var description: String }

    func run() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("acquirer-bench-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let pki = PKIFolder(folder + "/pki")
        try pki.write(terminalId: "BENCH-0001")
        let host = try SimulatorProcess.start(pki: pki.path, database: folder + "/ledger.sqlite")
        defer { host.stop() }

        // A control connection stays open for the whole run, so reading the counters adds no handshake.
        let control = try await BareConnection.open(host: "127.0.0.1", port: host.port, identity: pki.terminalIdentity)
        try await control.session { control in
            // Counted from before the client exists, so its first connection's handshake is in the figure.
            let before = try await Self.handshakes(&control)
            let client = try AcquirerClient(AcquirerConfiguration(host: URL(string: "https://127.0.0.1:\(host.port)")!,
                                                                  identity: pki.terminalIdentity, retry: .never))
            for i in 0..<warmUp { try Self.expectPaid(await client.charge(Self.sale("W\(i)", i))) }

            var clientTimes: [Duration] = []
            clientTimes.reserveCapacity(sales)
            let clock = ContinuousClock()
            for i in 0..<sales {
                let request = Self.sale("C\(i)", i)
                let start = clock.now
                let outcome = await client.charge(request)
                clientTimes.append(clock.now - start)
                try Self.expectPaid(outcome)
            }
            let afterClient = try await Self.handshakes(&control)
            try await client.shutdown()

            let bare = try await BareConnection.open(host: "127.0.0.1", port: host.port, identity: pki.terminalIdentity)
            let bareTimes: [Duration] = try await bare.session { exchange in
                let encoder = WireFormat.encoder()
                for i in 0..<warmUp { _ = try await exchange.send(.POST, "/v1/charges", body: try encoder.encode(Self.sale("WB\(i)", i)), headers: [(WireFormat.idempotencyHeader, "WB\(i)")]) }
                var times: [Duration] = []
                times.reserveCapacity(sales)
                for i in 0..<sales {
                    let start = clock.now
                    let answer = try await exchange.send(.POST, "/v1/charges", body: try encoder.encode(Self.sale("B\(i)", i)), headers: [(WireFormat.idempotencyHeader, "B\(i)")])
                    times.append(clock.now - start)
                    guard answer.status == 201 else { throw Failure(description: "bare client: HTTP \(answer.status) for sale B\(i)") }
                }
                return times
            }
            let afterBare = try await Self.handshakes(&control)

            let clientStats = Percentiles(clientTimes), bareStats = Percentiles(bareTimes)
            print("acquirer bench — \(sales) sales (POST /v1/charges, wallet approves, ledger fsync'd), simulator in its own process, loopback TLS")
            print("                          p50         p99        mean   handshakes")
            print(Self.row("Acquirer client", clientStats, afterClient - before))
            print(Self.row("bare client, 1 conn", bareStats, afterBare - afterClient))
            print(String(format: "overhead                  %+.3f ms  %+.3f ms  %+.3f ms   (p50 %+.0f%%)",
                         clientStats.p50 - bareStats.p50, clientStats.p99 - bareStats.p99, clientStats.mean - bareStats.mean,
                         (clientStats.p50 / bareStats.p50 - 1) * 100))
            let handshakes = afterClient - before
            print(String(format: "handshakes through the Acquirer client: %d for %d sales (%d warm-up + %d measured) = %.2f per 1,000 sales",
                         handshakes, sales + warmUp, warmUp, sales, Double(handshakes) * 1000 / Double(sales + warmUp)))
        }
    }

    static func sale(_ id: String, _ i: Int) -> ChargeRequest {
        // WeChat Pay's numeric code: 18 digits starting 10-15.
        ChargeRequest(chargeId: id, amount: 100 + i % 900, currency: "JPY", wallet: "wechatpay",
                      customerCode: "13" + String(format: "%016d", 4_000_000_000 + i))
    }

    static func expectPaid(_ outcome: AcquirerOutcome<Charge>) throws {
        guard case let .done(charge) = outcome, charge.status == .paid else { throw Failure(description: "a bench sale did not come back paid: \(outcome)") }
    }

    static func handshakes(_ control: inout BareConnection.Exchange) async throws -> Int {
        let answer = try await control.send(.GET, "/sim/stats")
        let counts = try WireFormat.decoder().decode(ServerStats.Counts.self, from: Data(answer.body.readableBytesView))
        return counts.handshakes
    }

    static func row(_ name: String, _ p: Percentiles, _ handshakes: Int) -> String {
        name.padding(toLength: 22, withPad: " ", startingAt: 0)
            + String(format: "%8.3f ms %8.3f ms %8.3f ms   %d", p.p50, p.p99, p.mean, handshakes)
    }
}

/// p50 / p99 / mean in milliseconds (nearest-rank percentiles).
struct Percentiles {
    var p50: Double, p99: Double, mean: Double
    init(_ durations: [Duration]) {
        let ms = durations.map { Double($0.components.seconds) * 1000 + Double($0.components.attoseconds) / 1e15 }.sorted()
        func rank(_ p: Double) -> Double { ms.isEmpty ? 0 : ms[min(ms.count - 1, Int((p * Double(ms.count)).rounded(.up)) - 1)] }
        p50 = rank(0.50); p99 = rank(0.99); mean = ms.isEmpty ? 0 : ms.reduce(0, +) / Double(ms.count)
    }
}

/// The simulator as its own process (this same executable, `serve` on port 0), as a board would meet it.
struct SimulatorProcess {
    let process: Process
    let port: Int

    static func start(pki: String, database: String) throws -> SimulatorProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        process.arguments = ["serve", "--listen", "127.0.0.1:0", "--pki", pki, "--db", database, "--log-level", "warning"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else { throw BenchCommand.Failure(description: "the simulator exited before it listened") }
            line.append(chunk)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard let port = text.split(separator: ":").last.flatMap({ Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }) else {
            throw BenchCommand.Failure(description: "unexpected first line from the simulator: \(text)")
        }
        return SimulatorProcess(process: process, port: port)
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}
