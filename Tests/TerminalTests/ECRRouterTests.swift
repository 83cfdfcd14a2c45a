import Acquirer
import AcquirerSimulator
import Foundation
import Terminal
import Testing

/// The ECR router and the sale runner in-process: a temporary journal, the simulator's ledger behind `LedgerLink`,
/// requests through HummingbirdTesting. No sockets, no processes: faults are scripted per request.
@Suite struct ECRRouterTests {
    static func withCounter(codeLifetime: Int = 120, _ body: @Sendable (InProcessCounter, APIClient) async throws -> Void) async throws {
        let counter = try await InProcessCounter(codeLifetime: codeLifetime)
        defer { counter.close() }
        try await counter.withAPI { api in try await body(counter, api) }
    }

    /// Journals finished sales directly, a minute apart from `start`, with the given states and references.
    static func journal(_ counter: InProcessCounter, _ sales: [(SaleState, String?)], start: Date) throws -> [Sale] {
        try sales.enumerated().map { index, item in
            let created = start.addingTimeInterval(TimeInterval(index * 60) + 0.125)
            var sale = Sale(id: "S\(Int(created.timeIntervalSince1970 * 1000))\(String(format: "%04d", index))", amount: 100 + index, currency: "JPY",
                            reference: item.1, mode: .show, expiresAt: created.addingTimeInterval(180), now: created)
            sale.state = item.0
            try counter.journal.insert(sale)
            return sale
        }
    }

    static let start = Date(timeIntervalSince1970: 1_796_000_000) // 2026-11-30T00:53:20Z

    // MARK: the list

    @Test func listIsNewestFirstAndPagesWithACursor() async throws {
        try await Self.withCounter { counter, api in
            let states: [SaleState] = [.paid, .declined, .cancelled, .paid, .expired, .refunded, .paid]
            let sales = try Self.journal(counter, states.enumerated().map { ($1, "R-\($0)") }, start: Self.start)
            var seen: [String] = []
            var cursor: String?
            var pages = 0
            repeat {
                let answer = try await api.get("/v1/sales?limit=3" + (cursor.map { "&cursor=\($0)" } ?? ""))
                #expect(answer.status == 200, "\(answer.text)")
                let page = answer.json["sales"] as? [[String: Any]] ?? []
                seen += page.compactMap { $0["id"] as? String }
                cursor = answer.json["nextCursor"] as? String
                pages += 1
            } while cursor != nil && pages < 10
            #expect(pages == 3)
            #expect(seen == sales.reversed().map(\.id), "newest first, every sale once")
        }
    }

    @Test func listFiltersByStatusTimeAndReference() async throws {
        try await Self.withCounter { counter, api in
            let sales = try Self.journal(counter, [(.paid, "R-1"), (.declined, "R-2"), (.cancelled, nil), (.paid, "R-4"), (.expired, "R 5")], start: Self.start)
            func ids(_ query: String) async throws -> [String] {
                let answer = try await api.get("/v1/sales?" + query)
                #expect(answer.status == 200, "\(query): \(answer.text)")
                return (answer.json["sales"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            }
            #expect(try await ids("status=paid") == [sales[3].id, sales[0].id])
            #expect(try await ids("status=paid,declined") == [sales[3].id, sales[1].id, sales[0].id])
            #expect(try await ids("reference=R-2") == [sales[1].id])
            #expect(try await ids("reference=R%205") == [sales[4].id], "percent-encoded")
            #expect(try await ids("reference=R+5") == [sales[4].id], "form-encoded")
            #expect(try await ids("reference=nobody").isEmpty)
            // from inclusive, to exclusive; an offset is a time like any other.
            let from = ECRTimeText.format(sales[1].createdAt), to = ECRTimeText.format(sales[3].createdAt)
            #expect(try await ids("from=\(from)&to=\(to)") == [sales[2].id, sales[1].id])
            #expect(try await ids("from=2026-11-30T09:57:00%2B09:00") == [sales[4].id], "00:57:00Z, an offset like any other")
            #expect(try await ids("from=\(from)&status=paid&limit=1") == [sales[3].id])
        }
    }

    @Test func timesCarryMilliseconds() async throws {
        try await Self.withCounter { counter, api in
            let sale = try Self.journal(counter, [(.paid, "R-1")], start: Self.start)[0]
            let answer = try await api.get("/v1/sales/\(sale.id)")
            #expect(answer.status == 200)
            for key in ["createdAt", "updatedAt", "expiresAt"] {
                let text = answer.json[key] as? String ?? ""
                #expect(text.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/) != nil, "\(key): \(text)")
            }
            #expect(answer.json["createdAt"] as? String == "2026-11-30T00:53:20.125Z")
            let list = try await api.get("/v1/sales")
            #expect((list.json["sales"] as? [[String: Any]])?.first?["createdAt"] as? String == "2026-11-30T00:53:20.125Z")
        }
    }

    @Test(arguments: [
        "limit=0", "limit=201", "limit=abc", "limit=", "limit=1&limit=2", "limit=1.5",
        "from=yesterday", "from=2026-13-01T00:00:00Z", "from=2026-02-30T00:00:00Z", "from=2026-12-01T00:00:00", "to=2026-12-01",
        "from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z",
        "status=bogus", "status=", "status=paid,", "status=paid&status=declined",
        "reference=", "reference=\(String(repeating: "x", count: 65))", "reference=a%00b", "reference=%zz",
        "cursor=garbage!", "cursor=", "cursor=djE6", "cursor=\(SaleListCursorText.make(after: "S0000"))",
        "unknown=1", "wait=5",
    ])
    func badListQueriesAnswer400WithAMessage(_ query: String) async throws {
        try await Self.withCounter { _, api in
            let answer = try await api.get("/v1/sales?" + query)
            #expect(answer.status == 400, "\(query): \(answer.text)")
            #expect(answer.contentType == "application/json")
            #expect((answer.error ?? "").count > 10, "\(query): \(answer.text)")
        }
    }

    @Test(arguments: ["wait=61", "wait=-1", "wait=x", "wait=1&wait=2", "waitt=1"])
    func badWaitAnswers400(_ query: String) async throws {
        try await Self.withCounter { counter, api in
            let sale = try Self.journal(counter, [(.paid, nil)], start: Self.start)[0]
            let answer = try await api.get("/v1/sales/\(sale.id)?" + query)
            #expect(answer.status == 400 && answer.error != nil, "\(query): \(answer.text)")
        }
    }

    @Test func badRefundBodiesAnswer400() async throws {
        try await Self.withCounter { counter, api in
            let sale = try Self.journal(counter, [(.paid, nil)], start: Self.start)[0]
            for body in ["", "[]", "{\"saleId\": 5, \"amount\": 1}", "{\"amount\": 1}", "{\"saleId\": \"\(sale.id)\"}",
                         "{\"saleId\": \"\(sale.id)\", \"amount\": 1, \"why\": \"x\"}", "{\"saleId\": \"\(sale.id)\", \"amount\": \"1\"}",
                         "{\"saleId\": \"\(sale.id)\", \"amount\": 101}"] {
                let answer = try await api.post("/v1/refunds", body)
                #expect(answer.status == 400 && answer.error != nil, "\(body): \(answer.status) \(answer.text)")
            }
            #expect(try await api.post("/v1/refunds", "{\"saleId\": \"S1\", \"amount\": 1}").status == 404)
        }
    }

    @Test func oversizedBodiesAndStrayQueryParametersAnswer4xx() async throws {
        try await Self.withCounter { _, api in
            let big = "{\"amount\": 1200, \"currency\": \"JPY\", \"reference\": \"\(String(repeating: "x", count: 20_000))\"}"
            let tooLarge = try await api.post("/v1/sales", big)
            #expect(tooLarge.status == 413 && tooLarge.error != nil && tooLarge.contentType == "application/json", "\(tooLarge.status) \(tooLarge.text)")
            for path in ["/v1/sales?mode=scan", "/v1/refunds?x=1", "/v1/sales/S1/cancel?now=1"] {
                let answer = try await api.post(path, "{\"amount\": 1200, \"currency\": \"JPY\"}")
                #expect(answer.status == 400 && answer.error?.contains("unknown query parameter") == true, "\(path): \(answer.text)")
            }
            let health = try await api.get("/v1/health?verbose=1")
            #expect(health.status == 400)
        }
    }

    // MARK: conflicts

    @Test func aSaleInProgressAnswers409WithItsId() async throws {
        try await Self.withCounter { counter, api in
            let first = try await api.post("/v1/sales", "{\"amount\": 1200, \"currency\": \"JPY\", \"reference\": \"R-1\", \"mode\": \"scan\"}")
            #expect(first.status == 201)
            let id = try #require(first.json["id"] as? String)
            let second = try await api.post("/v1/sales", "{\"amount\": 900, \"currency\": \"JPY\"}")
            #expect(second.status == 409)
            #expect(second.json["saleId"] as? String == id)
            #expect(second.error?.contains(id) == true)
            // The register that lost the 201 finds it by its reference.
            let found = try await api.get("/v1/sales?reference=R-1&status=awaiting-code")
            #expect((found.json["sales"] as? [[String: Any]])?.map { $0["id"] as? String } == [id])
            #expect(try await api.post("/v1/sales/\(id)/cancel").status == 202)
        }
    }

    /// A paid order whose refund of 500 is held at the host: a second refund and a cancel both answer 409 saying so.
    @Test func aRefundInFlightAnswers409ToRefundsAndCancels() async throws {
        try await Self.withCounter { counter, api in
            let started = try await api.post("/v1/sales", "{\"amount\": 1200, \"currency\": \"JPY\"}")
            let id = try #require(started.json["id"] as? String)
            #expect(try await counter.wait(id, for: .pending))
            try await Self.registered(counter, id)
            _ = try await counter.link.shopperPays(id)
            #expect(try await api.get("/v1/sales/\(id)?wait=10").json["status"] as? String == "paid")

            await counter.link.inject(.held, on: .refund)
            let refund = try await api.post("/v1/refunds", "{\"saleId\": \"\(id)\", \"amount\": 500}")
            #expect(refund.status == 202, "\(refund.text)")
            #expect(await counter.link.waitUntilParked(.refund))
            let view = try await api.get("/v1/sales/\(id)")
            #expect(view.json["status"] as? String == "refunding" && view.json["refundInFlight"] as? Int == 500)

            let again = try await api.post("/v1/refunds", "{\"saleId\": \"\(id)\", \"amount\": 200}")
            #expect(again.status == 409)
            #expect(again.error?.contains("a refund of 500 is being sent") == true, "\(again.text)")
            #expect(again.json["saleId"] as? String == id)
            let cancel = try await api.post("/v1/sales/\(id)/cancel")
            #expect(cancel.status == 409)
            #expect(cancel.error?.contains("a refund of 500 is being sent") == true, "\(cancel.text)")

            await counter.link.release(.refund)
            let done = try await api.get("/v1/sales/\(id)?wait=10")
            #expect(done.json["status"] as? String == "paid" && done.json["refundedAmount"] as? Int == 500 && done.json["refundInFlight"] as? Int == 0)
            #expect(try await api.post("/v1/refunds", "{\"saleId\": \"\(id)\", \"amount\": 700}").status == 202)
            #expect(try await api.get("/v1/sales/\(id)?wait=10").json["status"] as? String == "refunded")
            let books = await counter.link.books()
            #expect(books.refunds.values.map(\.refund.amount).sorted() == [500, 700])
        }
    }

    @Test func aFinishedSaleCannotBeCancelled() async throws {
        try await Self.withCounter { counter, api in
            let sales = try Self.journal(counter, [(.paid, nil), (.declined, nil)], start: Self.start)
            let paid = try await api.post("/v1/sales/\(sales[0].id)/cancel")
            #expect(paid.status == 409 && paid.error?.contains("POST /v1/refunds") == true)
            #expect(try await api.post("/v1/sales/\(sales[1].id)/cancel").status == 409)
            #expect(try await api.post("/v1/sales/S404/cancel").status == 404)
        }
    }

    // MARK: the journal cannot be read

    @Test func aBrokenJournalAnswers500WithAMessage() async throws {
        try await Self.withCounter { counter, api in
            _ = try Self.journal(counter, [(.paid, "R-1")], start: Self.start)
            try counter.breakJournal()
            for path in ["/v1/sales", "/v1/sales?reference=R-1", "/v1/sales/S1796000000125"] {
                let answer = try await api.get(path)
                #expect(answer.status == 500, "\(path): \(answer.text)")
                #expect(answer.contentType == "application/json")
                #expect(answer.error?.contains("could not answer") == true, "\(path): \(answer.text)")
            }
        }
    }

    // MARK: unknown paths and tokens

    @Test func unknownPathsAndTokensAnswerInJSON() async throws {
        try await Self.withCounter { _, api in
            let unknown = try await api.get("/v1/nothing")
            #expect(unknown.status == 404 && unknown.error?.contains("GET /v1/sales?") == true)
            let noToken = try await api.send(.get, "/v1/sales", token: nil)
            #expect(noToken.status == 401 && noToken.error != nil)
            let wrong = try await api.send(.get, "/v1/sales", token: "nope")
            #expect(wrong.status == 401 && wrong.error == "wrong bearer token")
            #expect(try await api.get("/v1/health").status == 200)
        }
    }

    // MARK: sale flows through the runner

    /// Waits until the ledger holds the order (the registration reached it).
    static func registered(_ counter: InProcessCounter, _ id: String) async throws {
        for _ in 0..<500 {
            if await counter.link.books().orders[id] != nil { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("order \(id) never reached the ledger")
    }

    @Test func shownCodePaidByTheShopper() async throws {
        try await Self.withCounter { counter, api in
            let started = try await api.post("/v1/sales", "{\"amount\": 1200, \"currency\": \"JPY\", \"reference\": \"R-9\"}")
            #expect(started.status == 201)
            let id = try #require(started.json["id"] as? String)
            try await Self.registered(counter, id)
            let order = try await counter.link.shopperPays(id)
            #expect(order.status == .paid)
            let paid = try await api.get("/v1/sales/\(id)?wait=10")
            #expect(paid.json["status"] as? String == "paid")
            #expect(paid.json["endReason"] == nil && paid.json["cancelOverridden"] as? Bool == false)
            #expect(await counter.link.books().orders[id]?.order.status == .paid)
        }
    }

    /// The registration is held before it reaches the host; the register cancels meanwhile. The cancel reaches the
    /// host first and is remembered, so the late registration moves nothing: cancelled, and nothing paid in the ledger.
    @Test func cancelRacingADelayedRegistration() async throws {
        try await Self.withCounter { counter, api in
            await counter.link.inject(.held, on: .registerOrder)
            let started = try await api.post("/v1/sales", "{\"amount\": 1500, \"currency\": \"JPY\"}")
            let id = try #require(started.json["id"] as? String)
            #expect(await counter.link.waitUntilParked(.registerOrder))
            let cancel = try await api.post("/v1/sales/\(id)/cancel")
            #expect(cancel.status == 202)
            let ended = try await api.get("/v1/sales/\(id)?wait=10")
            #expect(ended.json["status"] as? String == "cancelled")
            #expect(ended.json["endReason"] as? String == "cashier")
            await counter.link.release(.registerOrder)
            try await Task.sleep(for: .milliseconds(200))
            #expect(try await counter.runner.sale(id)?.state == .cancelled)
            let books = await counter.link.books()
            #expect(books.orders[id]?.order.status == .cancelled)
            #expect(books.orders.values.allSatisfy { $0.order.status != .paid } && books.charges.isEmpty)
            await #expect(throws: LedgerRefusal.self) { _ = try await counter.link.shopperPays(id) }
        }
    }

    /// The registration is committed but its answer lost: the runner asks, finds the order, and the shopper pays it.
    @Test func lostRegistrationAnswerIsResolvedByInquiry() async throws {
        try await Self.withCounter { counter, api in
            await counter.link.inject(.lost, on: .registerOrder)
            let started = try await api.post("/v1/sales", "{\"amount\": 800, \"currency\": \"JPY\"}")
            let id = try #require(started.json["id"] as? String)
            #expect(try await counter.wait(id, for: .unknown))
            let unknown = try await api.get("/v1/sales/\(id)")
            #expect((unknown.json["lastError"] as? String)?.contains("lost") == true, "\(unknown.text)")
            #expect(try await counter.wait(id, for: .pending))
            _ = try await counter.link.shopperPays(id)
            #expect(try await api.get("/v1/sales/\(id)?wait=10").json["status"] as? String == "paid")
            #expect(await counter.link.count(.registerOrder) == 1, "resolved by inquiry, not by sending again")
        }
    }

    /// Nothing reached the host: the sale ends at once, offline, and the ledger holds nothing.
    @Test func unreachableHostEndsTheSaleOffline() async throws {
        try await Self.withCounter { counter, api in
            await counter.link.inject(.unreachable, on: .registerOrder)
            let started = try await api.post("/v1/sales", "{\"amount\": 700, \"currency\": \"JPY\"}")
            let id = try #require(started.json["id"] as? String)
            let ended = try await api.get("/v1/sales/\(id)?wait=10")
            #expect(ended.json["status"] as? String == "cancelled" && ended.json["endReason"] as? String == "offline")
            #expect(ended.json["lastError"] as? String != nil)
            #expect(await counter.link.books().orders.isEmpty)
        }
    }
}

/// The router's own formats, as a register sees them (the test target reads them through the API only).
enum ECRTimeText {
    static func format(_ date: Date) -> String { WireFormat.timestamp(date) }
}

enum SaleListCursorText {
    static func make(after saleId: String) -> String {
        Data("v1:\(saleId)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
