import Acquirer
import Foundation
import Logging
import CoreMetrics
import Prometheus
import X509

/// Every metric the terminal exports for a fleet, named, labelled and explained here and nowhere else (README
/// "Metrics"); the rest of the code calls the small functions below. Off by default: `CounterMetrics.off` records
/// nothing (swift-metrics' no-op handlers). With `[metrics] listen` in the terminal file, `CounterApp` bootstraps
/// swift-metrics with a Prometheus factory over one registry and `MetricsServer` serves its text at GET /metrics.
///
/// Labels only ever carry bounded values that are no secret: a sale's final state, a wallet id of the registry, a
/// kind of transport failure, the build's version. Never a sale id, an amount, a reference or a customer code.
public final class CounterMetrics: @unchecked Sendable {
    /// The names, in Prometheus style (counters end in `_total`, units in the name).
    public enum Name {
        public static let sales = "qrpos_sales_total"
        public static let openSales = "qrpos_sales_open"
        public static let uncertainSales = "qrpos_sales_uncertain"
        public static let followUps = "qrpos_followups_queued"
        public static let scanFrame = "qrpos_scan_frame_seconds"
        public static let tlsHandshakes = "qrpos_acquirer_tls_handshakes_total"
        public static let transportFailures = "qrpos_acquirer_transport_failures_total"
        public static let clockOffset = "qrpos_clock_offset_seconds"
        public static let certificateDaysLeft = "qrpos_certificate_days_left"
        public static let buildInfo = "qrpos_build_info"
    }

    /// Records nothing: the terminal without `[metrics] listen`, and every in-process test.
    public static let off = CounterMetrics(factory: NOOPMetricsHandler.instance, registry: nil, wallets: [])

    /// The registry GET /metrics serves; nil when off.
    public let registry: PrometheusCollectorRegistry?
    /// Whether anything is recorded (`[metrics] listen` is set).
    public var isOn: Bool { registry != nil }
    private let factory: any MetricsFactory
    /// The wallet ids of the registry: the only values the `wallet` label takes besides `unknown` and `other`.
    private let wallets: Set<String>
    private let openSales: CoreMetrics.Gauge
    private let uncertainSales: CoreMetrics.Gauge
    private let followUps: CoreMetrics.Gauge
    private let scanFrame: CoreMetrics.Timer
    private let tlsHandshakes: CoreMetrics.Counter
    private let transportFailures: [TransportFailure: CoreMetrics.Counter]
    private let lock = NSLock()
    /// Made at the first measurement, so that neither reads 0 before anything was measured.
    private var clockOffsetGauge: CoreMetrics.Gauge?
    private var certificate: (notAfter: Date, daysLeft: CoreMetrics.Gauge)?

    /// Scan times are milliseconds (a 1280x720 frame with nothing in view takes ~30 ms on the bench board).
    static let scanFrameBuckets: [Duration] = [1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000].map { .microseconds(Int64($0 * 1000)) }

    init(factory: any MetricsFactory, registry: PrometheusCollectorRegistry?, wallets: Set<String>) {
        self.factory = factory
        self.registry = registry
        self.wallets = wallets
        openSales = CoreMetrics.Gauge(label: Name.openSales, factory: factory)
        uncertainSales = CoreMetrics.Gauge(label: Name.uncertainSales, factory: factory)
        followUps = CoreMetrics.Gauge(label: Name.followUps, factory: factory)
        scanFrame = CoreMetrics.Timer(label: Name.scanFrame, factory: factory)
        tlsHandshakes = CoreMetrics.Counter(label: Name.tlsHandshakes, factory: factory)
        // Every kind exists from the start at 0, so rate() and alerts work before the first failure.
        transportFailures = Dictionary(uniqueKeysWithValues: TransportFailure.allCases.map {
            ($0, CoreMetrics.Counter(label: Name.transportFailures, dimensions: [("kind", $0.rawValue)], factory: factory))
        })
        CoreMetrics.Gauge(label: Name.buildInfo, dimensions: [("version", Self.label(BuildVersion.current))], factory: factory).record(1)
        openSales.record(0); uncertainSales.record(0); followUps.record(0)
    }

    /// Metrics on: a new Prometheus registry behind swift-metrics' global factory (once per process).
    public static func bootstrapPrometheus(wallets: Set<String>) -> CounterMetrics {
        let metrics = prometheus(wallets: wallets)
        var factory = PrometheusMetricsFactory(registry: metrics.registry!)
        factory.durationHistogramBuckets[Name.scanFrame] = scanFrameBuckets
        MetricsSystem.bootstrap(factory)
        return metrics
    }

    /// A Prometheus registry of its own, without touching the global factory (tests).
    public static func prometheus(wallets: Set<String>) -> CounterMetrics {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets[Name.scanFrame] = scanFrameBuckets
        return CounterMetrics(factory: factory, registry: registry, wallets: wallets)
    }

    // MARK: sales (SaleRunner)

    /// A sale reached its final state for the first time: `qrpos_sales_total{outcome, wallet}`. `outcome` is the
    /// final state (paid, declined, expired, cancelled, refunded: a cashier's cancel whose payment slipped through and
    /// was given back); `wallet` the registry id of the shopper's scanned code, `unknown` for a shown code (the
    /// journal does not keep which wallet paid it). A refund of a paid sale later is not a second end.
    public func saleEnded(_ sale: Sale) {
        let wallet = sale.wallet.map(walletLabel) ?? "unknown"
        CoreMetrics.Counter(label: Name.sales, dimensions: [("outcome", sale.state.rawValue), ("wallet", wallet)], factory: factory).increment()
    }

    /// The open sales as the runner holds them (the journal's unfinished ones): how many, how many the terminal
    /// cannot say where they stand (`unknown`, or an order or charge whose attempt may still arrive at the host),
    /// and how many wait for a cancel or a refund the terminal sends, and resends, until the host answers it.
    public func openSales<S: Sequence>(_ sales: S) where S.Element == Sale {
        var open = 0, uncertain = 0, queued = 0
        for sale in sales where !sale.state.isFinal {
            open += 1
            if sale.state == .unknown || sale.reach == .uncertain { uncertain += 1 }
            if sale.state == .cancelling || sale.state == .refunding { queued += 1 }
        }
        openSales.record(open); uncertainSales.record(uncertain); followUps.record(queued)
    }

    // MARK: camera (CameraLoop)

    /// The time one frame took through the scanner (zbar, and the inverted second look when nothing was found).
    /// Only frames scanned while a sale waits for a code: the camera loop does not scan otherwise.
    public func frameScanned(in duration: Duration) {
        let (seconds, attoseconds) = duration.components
        scanFrame.recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    // MARK: acquirer link (AcquirerClient's observer, the link check)

    /// Counted by the acquirer client: completed TLS handshakes (new connections) and each attempt's transport
    /// failure by kind. HTTP answers (4xx, 5xx) are not transport failures and are not counted here.
    public var acquirerObserver: AcquirerClient.Observer {
        guard isOn else { return .none }
        return AcquirerClient.Observer(transportFailure: { [transportFailures] in transportFailures[$0]?.increment() },
                                       tlsHandshakeCompleted: { [tlsHandshakes] in tlsHandshakes.increment() })
    }

    /// Host time minus local time, from the last `GET /v1/time` round trip (positive: the host is ahead).
    public func clockOffset(_ seconds: TimeInterval) {
        let gauge = lock.withLock {
            if clockOffsetGauge == nil { clockOffsetGauge = CoreMetrics.Gauge(label: Name.clockOffset, factory: factory) }
            return clockOffsetGauge!
        }
        gauge.record(seconds)
    }

    /// The certificate the acquirer link presents (read once at start, as the client loaded it): its notAfter gives
    /// `qrpos_certificate_days_left`, recomputed at every scrape. A file that cannot be read leaves the gauge out.
    public func watchCertificate(_ pemFile: String, logger: Logger) {
        do {
            let text = try String(contentsOfFile: pemFile, encoding: .utf8)
            guard let begin = text.range(of: "-----BEGIN CERTIFICATE-----"),
                  let end = text.range(of: "-----END CERTIFICATE-----", range: begin.upperBound..<text.endIndex) else {
                throw CertificateUnreadable(description: "no PEM certificate in it")
            }
            let certificate = try Certificate(pemEncoded: String(text[begin.lowerBound..<end.upperBound]))
            let gauge = CoreMetrics.Gauge(label: Name.certificateDaysLeft, factory: factory)
            lock.withLock { self.certificate = (certificate.notValidAfter, gauge) }
            refresh()
        } catch {
            logger.warning("metrics: \(Name.certificateDaysLeft) left out: \(pemFile): \(error)")
        }
    }

    struct CertificateUnreadable: Error, CustomStringConvertible { var description: String }

    /// Values that depend on the time of the scrape (MetricsServer calls this before it writes the text).
    public func refresh(now: Date = Date()) {
        guard let (notAfter, gauge) = lock.withLock({ certificate }) else { return }
        gauge.record(notAfter.timeIntervalSince(now) / 86_400)
    }

    /// The registry in Prometheus text format (empty when off).
    public func text() -> String {
        refresh()
        return registry?.emitToString() ?? ""
    }

    // MARK: label values

    /// A wallet id of the registry (`paypay`, `alipayplus`); anything else is `other`, so a label can never carry
    /// more than a known id (and never a code).
    func walletLabel(_ wallet: String) -> String { wallets.contains(wallet) ? wallet : "other" }

    /// A label value without the characters Prometheus's text format escapes (`"`, `\`, line breaks).
    static func label(_ value: String) -> String {
        String(value.unicodeScalars.filter { $0.isASCII && $0.value >= 0x20 && $0 != "\"" && $0 != "\\" }.map(Character.init))
    }
}

/// The version of this build, for `qrpos_build_info` and the logs.
public enum BuildVersion {
    /// Set by hand until releases are cut by the packaging issue; development builds say so.
    public static let current = "0.1.0-dev"
}
