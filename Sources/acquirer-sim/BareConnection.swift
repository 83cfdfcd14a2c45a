import Acquirer
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// The baseline for `bench`: the same requests over one open TLS connection, written straight onto a NIO
/// channel (same TLS settings as the terminal), with no client library, retries or JSON decoding in between.
struct BareConnection {
    typealias Channel = NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>
    let channel: Channel
    let host: String

    static func open(host: String, port: Int, identity: AcquirerConfiguration.TerminalIdentity) async throws -> BareConnection {
        let context = try NIOSSLContext(configuration: TerminalTLS.configuration(identity))
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(5))
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    // No SNI for an address; the certificate is checked against the connected address instead.
                    try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: nil))
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try Channel(wrappingChannelSynchronously: channel)
                }
            }
        return BareConnection(channel: channel, host: host)
    }

    /// Runs `body` with a way to send requests one after another on this connection, then closes it.
    func session<T>(_ body: (inout Exchange) async throws -> T) async throws -> T {
        try await channel.executeThenClose { inbound, outbound in
            var exchange = Exchange(inbound: inbound.makeAsyncIterator(), outbound: outbound, host: host)
            return try await body(&exchange)
        }
    }

    struct Exchange {
        var inbound: NIOAsyncChannelInboundStream<HTTPClientResponsePart>.AsyncIterator
        let outbound: NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>
        let host: String

        struct Failure: Error, CustomStringConvertible { var description: String }

        mutating func send(_ method: HTTPMethod, _ path: String, body: Data? = nil, headers extra: [(String, String)] = []) async throws -> (status: Int, body: ByteBuffer) {
            var headers = HTTPHeaders([("host", host), ("accept", "application/json")])
            headers.add(contentsOf: extra)
            if let body {
                headers.add(name: "content-type", value: "application/json")
                headers.add(name: "content-length", value: String(body.count))
            }
            var parts: [HTTPClientRequestPart] = [.head(HTTPRequestHead(version: .http1_1, method: method, uri: path, headers: headers))]
            if let body { parts.append(.body(.byteBuffer(ByteBuffer(bytes: body)))) }
            parts.append(.end(nil))
            try await outbound.write(contentsOf: parts)
            var status = 0
            var answer = ByteBuffer()
            while let part = try await inbound.next() {
                switch part {
                case let .head(head): status = Int(head.status.code)
                case var .body(chunk): answer.writeBuffer(&chunk)
                case .end: return (status, answer)
                }
            }
            throw Failure(description: "the host closed the connection before answering \(method) \(path)")
        }
    }
}
