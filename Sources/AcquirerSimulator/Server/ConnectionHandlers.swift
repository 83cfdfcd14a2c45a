import Logging
import NIOCore
import NIOSSL
import NIOTLS

/// Counts TLS handshakes as they complete and the ones that fail (a client without a certificate, from another
/// CA, expired, or below TLS 1.2).
final class HandshakeCounter: ChannelInboundHandler, Sendable {
    typealias InboundIn = NIOAny
    let stats: ServerStats
    let logger: Logger

    init(stats: ServerStats, logger: Logger) { self.stats = stats; self.logger = logger }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event { stats.update { $0.handshakes += 1 } }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if error is NIOSSLError || error is BoringSSLError {
            stats.update { $0.tlsFailures += 1 }
            logger.notice("TLS refused for \(context.remoteAddress?.description ?? "a client"): \(error)")
        }
        context.fireErrorCaught(error)
    }
}

/// Sent down the pipeline to reset a connection (the `reset` fault).
struct ResetConnection: Sendable {}

/// Sits first in the pipeline, next to the socket, so a reset closes the socket at once: a close from further
/// in would pass the TLS handler, which says goodbye politely (close_notify) instead.
final class ConnectionResetter: ChannelOutboundHandler, Sendable {
    typealias OutboundIn = NIOAny

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard event is ResetConnection else { return context.triggerUserOutboundEvent(event, promise: promise) }
        context.close(mode: .all, promise: promise)
    }
}
