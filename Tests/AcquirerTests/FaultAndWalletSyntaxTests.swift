import Acquirer
@testable import AcquirerSimulator
import Testing

struct FaultAndWalletSyntaxTests {
    @Test func faultsParseWithTheirDefaultSide() throws {
        #expect(try FaultSpec(parsing: "drop") == FaultSpec(.drop, afterCommit: true))
        #expect(try FaultSpec(parsing: "hang") == FaultSpec(.hang, afterCommit: true))
        #expect(try FaultSpec(parsing: "reset") == FaultSpec(.reset, afterCommit: false))
        #expect(try FaultSpec(parsing: "5xx") == FaultSpec(.serverError(status: 500), afterCommit: false))
        #expect(try FaultSpec(parsing: "status=503;after") == FaultSpec(.serverError(status: 503), afterCommit: true))
        #expect(try FaultSpec(parsing: "latency=250") == FaultSpec(.latency(milliseconds: 250), afterCommit: false))
        #expect(try FaultSpec(parsing: " Drop ; before ") == FaultSpec(.drop, afterCommit: false))
        for bad in ["", "boom", "status=404", "latency=-1", "latency=abc", "drop;later", "drop;after;again"] {
            #expect(throws: FaultSpec.SyntaxError.self, "\(bad)") { try FaultSpec(parsing: bad) }
        }
    }

    @Test func faultRulesMatchMethodAndPathAndRunOutAfterTheirTimes() throws {
        var plan = FaultPlan()
        plan.add(try FaultSpec(parsing: "drop"), method: "post", pathPrefix: "/v1/charges", times: 2)
        plan.add(try FaultSpec(parsing: "hang"), method: nil, pathPrefix: nil, times: nil)
        #expect(plan.take(method: "POST", path: "/v1/charges")?.kind == .drop)
        #expect(plan.take(method: "GET", path: "/v1/charges/S1")?.kind == .hang)
        #expect(plan.take(method: "POST", path: "/v1/charges")?.kind == .drop)
        #expect(plan.take(method: "POST", path: "/v1/charges")?.kind == .hang)
        #expect(plan.rules.count == 1)
        plan.removeAll()
        #expect(plan.take(method: "POST", path: "/v1/charges") == nil)
    }

    @Test func walletBehavioursReadAsTheyAreWritten() {
        #expect(WalletBehaviour("approve") == .approve)
        #expect(WalletBehaviour("DECLINE") == .decline)
        #expect(WalletBehaviour("confirm:2.5") == .confirm(seconds: 2.5))
        #expect(WalletBehaviour("limit:50000") == .limit(50000))
        #expect(WalletBehaviour("confirm:5")?.description == "confirm:5")
        for bad in ["", "maybe", "limit", "limit:-1", "confirm:x", "confirm:9999"] { #expect(WalletBehaviour(bad) == nil, "\(bad)") }
    }

    @Test func listenAddressesParse() {
        #expect(SimulatorConfiguration.parseListen("127.0.0.1:8443")! == ("127.0.0.1", 8443))
        #expect(SimulatorConfiguration.parseListen("[::1]:0")! == ("::1", 0))
        #expect(SimulatorConfiguration.parseListen("8443") == nil)
        #expect(SimulatorConfiguration.parseListen("host:99999") == nil)
    }
}
