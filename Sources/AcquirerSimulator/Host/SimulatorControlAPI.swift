import Acquirer
import Foundation

/// The simulator's own endpoints under /sim: the ledger, counters, shoppers paying orders, faults and wallets.
/// Not part of a real acquirer's API; never faulted.
struct SimulatorControlAPI: Sendable {
    let keeper: LedgerKeeper
    let stats: ServerStats

    struct LedgerView: Encodable {
        var orders: [Order]
        var charges: [Charge]
        var refunds: [Refund]
        var stats: ServerStats.Counts
    }

    struct PayBody: Decodable { var wallet: String }
    struct WalletBody: Codable { var behaviour: String }
    struct FaultBody: Decodable { var fault: String; var method: String?; var path: String?; var times: Int? }
    struct FaultView: Encodable { var id: Int; var fault: String; var method: String?; var path: String?; var times: Int? }

    func route(_ request: HostRequest, _ route: RoutePattern) async throws -> HostResponse {
        if route.match("GET", "/sim/ledger") != nil {
            let ledger = await keeper.snapshot()
            return HostAPI.json(200, LedgerView(orders: ledger.orders.values.map(\.order).sorted { $0.createdAt < $1.createdAt },
                                                charges: ledger.charges.values.map(\.charge).sorted { $0.createdAt < $1.createdAt },
                                                refunds: ledger.refunds.values.map(\.refund).sorted { $0.createdAt < $1.createdAt },
                                                stats: stats.counts))
        }
        if route.match("GET", "/sim/stats") != nil { return HostAPI.json(200, stats.counts) }
        if let id = route.match("POST", "/sim/orders/:id/pay")?.first {
            let body = try decode(PayBody.self, request)
            return HostAPI.json(200, try await keeper.step { ledger, now throws(LedgerRefusal) in try ledger.shopperPays(id, wallet: body.wallet, at: now) })
        }
        if route.match("GET", "/sim/faults") != nil { return HostAPI.json(200, await keeper.faultRules().map(view)) }
        if route.match("POST", "/sim/faults") != nil {
            let body = try decode(FaultBody.self, request)
            let fault: FaultSpec
            do { fault = try FaultSpec(parsing: body.fault) } catch { throw LedgerRefusal.badRequest(error.description) }
            if let times = body.times, times < 1 { throw LedgerRefusal.badRequest("times must be at least 1 (leave it out for every time)") }
            return HostAPI.json(201, view(await keeper.addFault(fault, method: body.method, pathPrefix: body.path, times: body.times)))
        }
        if route.match("DELETE", "/sim/faults") != nil {
            await keeper.clearFaults()
            return HostAPI.json(200, [FaultView]())
        }
        if route.match("GET", "/sim/wallets") != nil {
            let book = await keeper.wallets()
            return HostAPI.json(200, Dictionary(uniqueKeysWithValues: book.known.map { ($0, book.behaviour($0).description) }))
        }
        if let wallet = route.match("PUT", "/sim/wallets/:wallet")?.first {
            let body = try decode(WalletBody.self, request)
            guard await keeper.wallets().knows(wallet) else { throw LedgerRefusal.notFound("wallet", wallet) }
            guard let behaviour = WalletBehaviour(body.behaviour) else {
                throw LedgerRefusal.badRequest("behaviour must be \(WalletBehaviour.syntax), not '\(body.behaviour.prefix(40))'")
            }
            await keeper.setBehaviour(behaviour, for: wallet)
            return HostAPI.json(200, WalletBody(behaviour: behaviour.description))
        }
        return HostAPI.unknownPath(request)
    }

    func view(_ rule: FaultPlan.Rule) -> FaultView {
        FaultView(id: rule.id, fault: rule.fault.description, method: rule.method, path: rule.pathPrefix, times: rule.remaining)
    }

    func decode<T: Decodable>(_ type: T.Type, _ request: HostRequest) throws -> T {
        do { return try WireFormat.decoder().decode(type, from: request.body) } catch {
            throw LedgerRefusal.badRequest(WireFormat.explain(error))
        }
    }
}
