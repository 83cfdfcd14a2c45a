import Acquirer
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Terminal
import Testing

/// The metrics of `CounterMetrics` as Prometheus reads them: a runner in-process with a registry of its own (the
/// global swift-metrics factory is left alone), and GET /metrics through HummingbirdTesting.
@Suite struct MetricsTests {
    static let wallets: Set<String> = ["paypay", "alipay"]

    /// The value of `series` (name and labels as written) in the text format, or nil.
    static func number(_ text: String, _ series: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.dropFirst(series.count + 1)) }
    }

    @Test func aSaleIsCountedOnceWhenItEndsEvenIfItIsRefundedLater() async throws {
        let metrics = CounterMetrics.prometheus(wallets: Self.wallets)
        let counter = try await InProcessCounter(metrics: metrics)
        defer { counter.close() }
        let sale = try await counter.runner.start(amount: 1200, currency: "JPY", reference: nil, mode: .show)
        #expect(Self.number(metrics.text(), "qrpos_sales_open") == 1)
        try await ECRRouterTests.registered(counter, sale.id)
        _ = try await counter.link.shopperPays(sale.id)
        #expect(try await counter.wait(sale.id, for: .paid))
        var text = metrics.text()
        #expect(Self.number(text, #"qrpos_sales_total{outcome="paid",wallet="paypay"}"#) == 1, "\(text)")
        #expect(Self.number(text, "qrpos_sales_open") == 0)
        _ = try await counter.runner.refund(sale.id, amount: 1200)
        #expect(try await counter.wait(sale.id, for: .refunded))
        text = metrics.text()
        #expect(Self.number(text, #"qrpos_sales_total{outcome="paid",wallet="paypay"}"#) == 1, "\(text)")
        #expect(!text.contains(#"outcome="refunded""#), "a refund of a paid sale is not a second end: \(text)")
        #expect(Self.number(text, "qrpos_sales_open") == 0 && Self.number(text, "qrpos_followups_queued") == 0)
    }

    @Test func labelsCarryOnlyRegistryWalletsAndTheBuild() {
        let metrics = CounterMetrics.prometheus(wallets: Self.wallets)
        for (wallet, state) in [("paypay", SaleState.declined), ("900081818812345678901234", .paid), (nil, .expired)] as [(String?, SaleState)] {
            var sale = Sale(id: "S1", amount: 100, currency: "JPY", mode: .scan, expiresAt: Date(), now: Date())
            sale.wallet = wallet; sale.state = state
            metrics.saleEnded(sale)
        }
        let text = metrics.text()
        #expect(Self.number(text, #"qrpos_sales_total{outcome="declined",wallet="paypay"}"#) == 1, "\(text)")
        #expect(Self.number(text, #"qrpos_sales_total{outcome="paid",wallet="other"}"#) == 1, "\(text)")
        #expect(Self.number(text, #"qrpos_sales_total{outcome="expired",wallet="unknown"}"#) == 1, "\(text)")
        #expect(!text.contains("9000818188"), "a customer code in a label: \(text)")
        #expect(Self.number(text, #"qrpos_build_info{version="\#(BuildVersion.current)"}"#) == 1, "\(text)")
        #expect(Self.number(text, #"qrpos_acquirer_transport_failures_total{kind="tls_refused"}"#) == 0, "\(text)")
        #expect(!text.contains("qrpos_clock_offset_seconds") && !text.contains("qrpos_certificate_days_left"), "nothing measured yet: \(text)")
        metrics.clockOffset(-1.5)
        metrics.acquirerObserver.tlsHandshakeCompleted?()
        metrics.acquirerObserver.transportFailure(.connectFailed)
        metrics.frameScanned(in: .milliseconds(12))
        let after = metrics.text()
        #expect(Self.number(after, "qrpos_clock_offset_seconds") == -1.5, "\(after)")
        #expect(Self.number(after, "qrpos_acquirer_tls_handshakes_total") == 1, "\(after)")
        #expect(Self.number(after, #"qrpos_acquirer_transport_failures_total{kind="connect_failed"}"#) == 1, "\(after)")
        #expect(Self.number(after, "qrpos_scan_frame_seconds_count") == 1, "\(after)")
        #expect(Self.number(after, #"qrpos_scan_frame_seconds_bucket{le="0.025"}"#) == 1, "\(after)")
    }

    @Test func theCertificatesDaysLeftComeFromItsNotAfter() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("qrpos-metrics-pki-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let now = Date()
        try PKIFolder(folder).write(terminalId: "SIM-0001", now: now, days: 30)
        let metrics = CounterMetrics.prometheus(wallets: [])
        metrics.watchCertificate(folder + "/terminal.pem", logger: .init(label: "test"))
        metrics.refresh(now: now.addingTimeInterval(10 * 86_400))
        let days = Self.number(metrics.registry!.emitToString(), "qrpos_certificate_days_left")
        #expect(days.map { abs($0 - 20) < 0.01 } == true, "\(String(describing: days))")
    }

    @Test func getMetricsServesTheTextFormat() async throws {
        let metrics = CounterMetrics.prometheus(wallets: [])
        try await Application(router: MetricsServer.router(metrics: metrics)).test(.router) { client in
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
                #expect(String(buffer: response.body).contains("qrpos_build_info{"))
            }
            try await client.execute(uri: "/v1/sales", method: .get) { response in #expect(response.status == .notFound) }
        }
    }
}
