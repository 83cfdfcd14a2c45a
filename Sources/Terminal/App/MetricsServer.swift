import Hummingbird
import Logging

/// GET /metrics in the Prometheus text format, on its own address (`[metrics] listen`), apart from the ECR API:
/// no token (what it shows is counts, no sale or customer data), nothing else served.
public enum MetricsServer {
    public static func application(metrics: CounterMetrics, host: String, port: Int, logger: Logger) -> some ApplicationProtocol {
        Application(router: router(metrics: metrics), configuration: .init(address: .hostname(host, port: port), serverName: "qrpos-metrics"),
                    logger: logger)
    }

    public static func router(metrics: CounterMetrics) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/metrics") { _, _ -> Response in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: metrics.text())))
        }
        return router
    }
}
