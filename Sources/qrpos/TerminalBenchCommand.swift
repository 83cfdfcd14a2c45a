import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `qrpos bench-terminal`: a register's view of a running `qrpos run` — sale round trips over the ECR
/// API (with the simulator paying at once), and the terminal's resident memory before and after.
struct TerminalBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench-terminal",
                                                    abstract: "Measure ECR sale round trips and memory of a running `qrpos run` (Board/sim/bench.sh starts one).")
    @Option(help: "ECR API port.") var port: Int = 8417
    @Option(help: "File with the ECR bearer token.") var tokenFile: String
    @Option(help: "Process id of `qrpos run`, for its resident memory.") var pid: Int32
    @Option(help: "Sales to send.") var sales: Int = 200

    func run() async throws {
        let token = try String(contentsOfFile: tokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let idle = Self.memory(pid)
        var checkpoints: [(Int, Memory)] = []
        var times: [Double] = []
        for n in 0..<sales {
            if n > 0 && (n == 1000 || n % 5000 == 0) { checkpoints.append((n, Self.memory(pid))) }
            let start = ContinuousClock.now
            let (created, body) = try await request("POST", "/v1/sales", token, "{\"amount\": \(100 + n), \"currency\": \"JPY\", \"reference\": \"B\(n)\"}")
            guard created == 201, let id = body["id"] as? String else { throw Failure("sale \(n) not started: \(created) \(body)") }
            var status = body["status"] as? String ?? ""
            while status != "paid" {
                let (_, sale) = try await request("GET", "/v1/sales/\(id)?wait=10", token, nil)
                status = sale["status"] as? String ?? ""
                if ["declined", "expired", "cancelled"].contains(status) { throw Failure("sale \(id) ended \(status)") }
            }
            let elapsed = ContinuousClock.now - start
            times.append(Double(elapsed.components.attoseconds) * 1e-15 + Double(elapsed.components.seconds) * 1e3)
        }
        checkpoints.append((sales, Self.memory(pid)))
        times.sort()
        func pct(_ p: Double) -> Double { times[min(times.count - 1, Int(Double(times.count) * p))] }
        print("ECR sale round trip, \(sales) sales (POST /v1/sales → long-poll until paid; acquirer-sim --auto-pay 0; loopback mTLS to the host):")
        print(String(format: "  p50 %.1f ms   p99 %.1f ms   mean %.1f ms", pct(0.5), pct(0.99), times.reduce(0, +) / Double(times.count)))
        print("qrpos run resident memory (VmRSS = RssAnon, the heap and stacks, + RssFile, mapped code and fonts):")
        print("  idle            \(idle)")
        for (n, memory) in checkpoints { print("  after \(String(n).padding(toLength: 6, withPad: " ", startingAt: 0)) sales \(memory)") }
    }

    struct Memory: CustomStringConvertible {
        var rss = 0, anon = 0, file = 0
        var description: String { String(format: "%5.1f MiB (anon %5.1f, file %5.1f)", Double(rss) / 1024, Double(anon) / 1024, Double(file) / 1024) }
    }

    static func memory(_ pid: Int32) -> Memory {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return Memory() }
        func kib(_ key: String) -> Int {
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(key + ":") }) else { return 0 }
            return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
        }
        return Memory(rss: kib("VmRSS"), anon: kib("RssAnon"), file: kib("RssFile"))
    }

    private func request(_ method: String, _ path: String, _ token: String, _ body: String?) async throws -> (Int, [String: Any]) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        request.httpBody = body.map { Data($0.utf8) }
        request.timeoutInterval = 30
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:])
    }
}
