import Acquirer
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import X509

/// Serves one TLS connection: reads each request whole, asks the API, writes the answer (or plays the fault),
/// and keeps the connection open for the next request as HTTP/1.1 keep-alive says.
struct ConnectionServer: Sendable {
    /// The host API, or the enrollment API on the enrollment listener.
    let handle: @Sendable (HostRequest) async -> HostAction
    let logger: Logger
    let registry: ConnectionRegistry
    static let largestBody = 64 * 1024

    func serve(_ connection: SimulatorServer.Connection) async {
        let channel = connection.channel
        guard registry.add(channel) else { try? await channel.close(); return }
        defer { registry.remove(channel) }
        do {
            try await connection.executeThenClose { inbound, outbound in
                var parts = inbound.makeAsyncIterator()
                var terminalId: String?
                while let (head, body, tooLarge) = try await Self.readRequest(&parts) {
                    let keepAlive = head.isKeepAlive
                    if tooLarge {
                        try await Self.write(HostAPI.error(413, "body_too_large", "a request body may be at most \(Self.largestBody) bytes"),
                                             keepAlive: false, to: outbound)
                        return
                    }
                    if terminalId == nil { terminalId = await Self.terminalId(channel) }
                    let request = Self.hostRequest(head, body, terminalId: terminalId ?? "unknown")
                    switch await handle(request) {
                    case let .respond(response):
                        try await Self.write(response, keepAlive: keepAlive, to: outbound)
                        if !keepAlive { return }
                    case .drop:
                        return
                    case .reset:
                        if let socket = channel as? SocketOptionProvider { try? await socket.setSoLinger(linger(l_onoff: 1, l_linger: 0)).get() }
                        try? await channel.triggerUserOutboundEvent(ResetConnection()).get()
                        return
                    case .hang:
                        // Never answer; read on until the client gives up and closes (or the host stops).
                        while try await parts.next() != nil {}
                        return
                    }
                }
            }
        } catch {
            logger.debug("connection from \(channel.remoteAddress?.description ?? "?") ended: \(error)")
        }
    }

    static func readRequest(_ parts: inout NIOAsyncChannelInboundStream<HTTPServerRequestPart>.AsyncIterator) async throws
        -> (HTTPRequestHead, ByteBuffer, Bool)? {
        var head: HTTPRequestHead?
        var body = ByteBuffer()
        var tooLarge = false
        while let part = try await parts.next() {
            switch part {
            case let .head(h): head = h
            case var .body(chunk):
                if body.readableBytes + chunk.readableBytes > largestBody { tooLarge = true } else { body.writeBuffer(&chunk) }
            case .end:
                guard let head else { continue }
                return (head, body, tooLarge)
            }
        }
        return nil
    }

    static func hostRequest(_ head: HTTPRequestHead, _ body: ByteBuffer, terminalId: String) -> HostRequest {
        let components = URLComponents(string: head.uri)
        var query: [String: String] = [:]
        for item in components?.queryItems ?? [] { query[item.name] = item.value ?? "" }
        var headers: [String: String] = [:]
        for (name, value) in head.headers { headers[name.lowercased()] = value }
        return HostRequest(method: head.method.rawValue, path: components?.path ?? head.uri, query: query, headers: headers,
                           body: Data(body.readableBytesView), terminalId: terminalId)
    }

    static func write(_ response: HostResponse, keepAlive: Bool, to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>) async throws {
        var headers = HTTPHeaders([("content-type", "application/json"), ("content-length", String(response.body.count))])
        for (name, value) in response.headers { headers.add(name: name, value: value) }
        if !keepAlive { headers.add(name: "connection", value: "close") }
        let head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
        try await outbound.write(contentsOf: [.head(head), .body(.byteBuffer(ByteBuffer(bytes: response.body))), .end(nil)])
    }

    /// The terminal id is the common name of the client certificate TLS already verified.
    static func terminalId(_ channel: any Channel) async -> String? {
        guard let certificate = try? await channel.nioSSL_peerCertificate().get(),
              let der = try? certificate.toDERBytes(),
              let parsed = try? Certificate(derEncoded: der) else { return nil }
        for name in parsed.subject {
            for attribute in name where attribute.type == .RDNAttributeType.commonName {
                return String(describing: attribute.value)
            }
        }
        return nil
    }
}
