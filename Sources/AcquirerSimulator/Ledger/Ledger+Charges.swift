import Acquirer
import Foundation

extension Ledger {
    /// `POST /v1/charges`. The customer code is kept masked only.
    public mutating func createCharge(_ request: ChargeRequest, by caller: Caller, at now: Date) throws(LedgerRefusal) -> (Charge, created: Bool) {
        let scope = try Self.key(caller)
        let operation = "POST /v1/charges"
        if let id = try replayed(scope, operation: operation, fingerprint: Self.fingerprint(request)), let record = charges[id] {
            return (record.charge, false)
        }
        try Self.checkId(request.chargeId, "chargeId")
        try Self.checkMoney(amount: request.amount, currency: request.currency)
        guard !request.customerCode.isEmpty, request.customerCode.count <= 512 else {
            throw .badRequest("customerCode must be the code the shopper showed, 1 to 512 characters")
        }
        guard wallets.knows(request.wallet) else {
            throw .unprocessable("unknown_wallet", "no wallet '\(request.wallet)' in the registry; known: \(wallets.known.sorted().joined(separator: ", "))")
        }
        try checkUnused(request.chargeId, record: charges[request.chargeId]?.cancelledUnseen)
        var charge = Charge(chargeId: request.chargeId, amount: request.amount, currency: request.currency, wallet: request.wallet,
                            maskedCode: LogMask.customerCode(request.customerCode), status: .pending, createdAt: now,
                            cancellableUntil: now.addingTimeInterval(rules.cancelWindow))
        charge.walletCountry = wallets.countries[request.wallet]
        switch wallets.decide(wallet: request.wallet, amount: request.amount, now: now) {
        case .approve: charge.status = .paid; charge.paidAt = now
        case let .decline(reason): charge.status = .declined; charge.declineReason = reason
        case let .confirm(until): charge.confirmingUntil = until
        }
        store(ChargeRecord(charge: charge, terminalId: caller.terminalId))
        store(IdempotencyRecord(scope: scope, operation: operation, fingerprint: Self.fingerprint(request), resourceId: charge.chargeId, createdAt: now))
        return (charge, true)
    }

    public func charge(_ id: String, for caller: Caller) throws(LedgerRefusal) -> Charge {
        guard let record = charges[id], record.terminalId == caller.terminalId else { throw .notFound("charge", id) }
        return record.charge
    }

    /// `POST /v1/charges/{id}/cancel`: cancels a charge still awaiting the shopper, or reverses a paid one.
    public mutating func cancelCharge(_ id: String, by caller: Caller, at now: Date) throws(LedgerRefusal) -> Charge {
        let scope = try Self.key(caller)
        let operation = "POST /v1/charges/\(id)/cancel"
        if let id = try replayed(scope, operation: operation, fingerprint: ""), let record = charges[id] { return record.charge }
        guard var record = charges[id] else {
            // Not seen (yet): the cancel is remembered and wins over a charge that arrives later.
            try Self.checkId(id, "chargeId")
            let charge = Charge(chargeId: id, amount: 0, currency: "", wallet: "", maskedCode: "", status: .cancelled, createdAt: now,
                                cancelledAt: now, cancellableUntil: now)
            store(ChargeRecord(charge: charge, terminalId: caller.terminalId, cancelledUnseen: true))
            store(IdempotencyRecord(scope: scope, operation: operation, fingerprint: "", resourceId: id, createdAt: now))
            return charge
        }
        guard record.terminalId == caller.terminalId else { throw .notFound("charge", id) }
        let undone = try Self.cancelled(status: record.charge.status, refunded: record.charge.refundedAmount,
                                        cancellableUntil: record.charge.cancellableUntil, what: "charge \(id)", now: now)
        if undone {
            record.charge.status = .cancelled
            record.charge.cancelledAt = now
            record.charge.confirmingUntil = nil
            store(record)
        }
        store(IdempotencyRecord(scope: scope, operation: operation, fingerprint: "", resourceId: id, createdAt: now))
        return record.charge
    }
}
