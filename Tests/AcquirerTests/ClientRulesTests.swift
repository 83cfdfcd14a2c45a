@testable import Acquirer
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOSSL
import Testing

/// The client's pure parts: reading answers, sorting failures, the recovery rule, masking.
struct ClientRulesTests {
    let now = Date(timeIntervalSince1970: 1_750_000_000)

    func charge(_ status: PaymentStatus, refunded: Int = 0, window: TimeInterval = 60) -> Charge {
        Charge(chargeId: "S1", amount: 1200, currency: "JPY", wallet: "wechatpay", maskedCode: "1345************89", status: status,
               refundedAmount: refunded, createdAt: now, cancellableUntil: now.addingTimeInterval(window))
    }

    @Test func answersBecomeOutcomes() throws {
        let body = try WireFormat.encoder().encode(charge(.paid))
        #expect((AnswerReading.read(status: 201, body: body) as AcquirerOutcome<Charge>).value?.status == .paid)
        let refusal: AcquirerOutcome<Charge> = AnswerReading.read(status: 409, body: Data(#"{"error":"idempotency_conflict","message":"m"}"#.utf8))
        guard case let .refused(r) = refusal else { Issue.record("\(refusal)"); return }
        #expect(r.status == 409 && r.code == "idempotency_conflict")
        // Found by fuzzing (FuzzAcquirerAnswer): an empty error code is replaced by the status, the message kept.
        let unnamed: AcquirerOutcome<Charge> = AnswerReading.read(status: 400, body: Data(#"{"error": "", "message": "> 0"}"#.utf8))
        guard case let .refused(nameless) = unnamed else { Issue.record("\(unnamed)"); return }
        #expect(nameless.code == "http_400" && nameless.message == "> 0")
        let failed: AcquirerOutcome<Charge> = AnswerReading.read(status: 503, body: Data())
        guard case let .unknown(u) = failed else { Issue.record("\(failed)"); return }
        #expect(u.cause == .serverError)
        // A 200 the terminal cannot read may still have moved money.
        #expect((AnswerReading.read(status: 200, body: Data("{}".utf8)) as AcquirerOutcome<Charge>).isUnknown)
    }

    @Test func transportFailuresAreUnreachableOnlyWhenNothingReachedTheHost() {
        for error: Error in [HTTPClientError.connectTimeout, HTTPClientError.tlsHandshakeTimeout, NIOSSLError.handshakeFailed(.sslError([]))] {
            guard case .unreachable = FailureClassification.classify(error) else { Issue.record("\(error) moved nothing"); continue }
        }
        for error: Error in [HTTPClientError.readTimeout, HTTPClientError.deadlineExceeded] {
            guard case let .unknown(u) = FailureClassification.classify(error) else { Issue.record("\(error)"); continue }
            #expect(u.cause == .timeout)
        }
        for error: Error in [HTTPClientError.remoteConnectionClosed, NIOSSLError.uncleanShutdown, IOError(errnoCode: ECONNRESET, reason: "read")] {
            guard case let .unknown(u) = FailureClassification.classify(error) else { Issue.record("\(error)"); continue }
            #expect(u.cause == .connectionLost)
        }
        guard case .unreachable = FailureClassification.classify(IOError(errnoCode: ECONNREFUSED, reason: "connect")) else {
            Issue.record("a refused connection moved nothing"); return
        }
    }

    /// A request sent again with the same key is as uncertain as its most uncertain attempt: a resend that
    /// cannot connect (the host restarting) does not turn "may have moved money" into "nothing moved".
    @Test func theOutcomeOfARequestIsTheStrongestOfItsAttempts() {
        var attempts = AttemptOutcomes<Charge>()
        attempts.add(.unknown(.init(.connectionLost, "closed before the answer")))
        attempts.add(.unreachable("connection refused"))
        guard case let .unknown(u) = attempts.strongest else { Issue.record("\(attempts.strongest)"); return }
        #expect(u.cause == .connectionLost && u.detail.contains("connection refused"))
        attempts.add(.done(charge(.paid)))
        #expect(attempts.strongest.value?.status == .paid, "an answer settles it")
        var refusedOnly = AttemptOutcomes<Charge>()
        refusedOnly.add(.unreachable("connection refused"))
        refusedOnly.add(.unreachable("connection refused"))
        guard case .unreachable = refusedOnly.strongest else { Issue.record("nothing reached the host"); return }
    }

    @Test func customerCodesAreNeverLoggedWhole() {
        #expect(LogMask.customerCode("134567890123456789") == "134567********6789")
        #expect(LogMask.customerCode("12345678") == "********")
        let request = ChargeRequest(chargeId: "S1", amount: 1, currency: "JPY", wallet: "wechatpay", customerCode: "134567890123456789")
        #expect(!"\(request)".contains("134567890123456789"))
    }

    @Test func idempotencyKeysComeFromTheSaleId() {
        #expect(IdempotencyKey.sale("S20251121-0001") == "S20251121-0001")
        #expect(IdempotencyKey.cancel("S20251121-0001") == "S20251121-0001:cancel")
    }

    @Test func clockOffsetIsMeasuredFromTheMiddleOfTheRoundTrip() {
        let sent = now, received = now.addingTimeInterval(0.2)
        #expect(abs(ClockOffset.estimate(sentAt: sent, receivedAt: received, hostTime: now.addingTimeInterval(30.1)) - 30) < 1e-9)
    }

    /// Found by fuzzing `AnswerReading` (Fuzz/, FuzzAcquirerAnswer): a time read from the host and written again
    /// moved a millisecond earlier for half of all millisecond values (the formatter truncated 30.00199… to .001).
    @Test func hostTimesAreWrittenBackAsTheyWereRead() throws {
        for text in (0..<1000).map({ String(format: "2026-11-21T10:15:30.%03dZ", $0) }) + ["2387-11-21T10:15:30.123Z", "1969-12-31T23:59:59.999Z"] {
            let date = try #require(WireFormat.date(text))
            #expect(WireFormat.timestamp(date) == text)
        }
        #expect(WireFormat.timestamp(Date(timeIntervalSince1970: 1_750_000_000.9996)) == "2025-06-15T15:06:41.000Z")
        // The fuzzer's input: a refund read, written, read and written again is the same bytes.
        let body = Data(#"{"amount": 500, "createdAt": "2387-11-21T10:15:30.123Z", "currency": "JPY", "paymentId": "S-1", "reason": "x", "refundId": "S-1-r0", "status": "refunded"}"#.utf8)
        guard case let .done(refund) = AnswerReading.read(status: 201, body: body) as AcquirerOutcome<Refund> else { Issue.record("not read"); return }
        let written = try WireFormat.encoder().encode(refund)
        #expect(try WireFormat.encoder().encode(WireFormat.decoder().decode(Refund.self, from: written)) == written)
        #expect(String(decoding: written, as: UTF8.self).contains(#""createdAt":"2387-11-21T10:15:30.123Z""#))
    }

    @Test func requestTimesSurviveTheWire() throws {
        let original = charge(.paid)
        let decoded = try WireFormat.decoder().decode(Charge.self, from: WireFormat.encoder().encode(original))
        #expect(abs(decoded.createdAt.timeIntervalSince(original.createdAt)) < 0.001)
        do { _ = try WireFormat.decoder().decode(RefundRequest.self, from: Data(#"{"refundId":"R1","paymentId":"S1"}"#.utf8)) } catch {
            #expect(WireFormat.explain(error) == "missing field 'amount'")
        }
        do { _ = try WireFormat.decoder().decode(RefundRequest.self, from: Data(#"{"refundId":"R1","paymentId":"S1","amount":"12"}"#.utf8)) } catch {
            #expect(WireFormat.explain(error) == "field 'amount': expected an integer")
        }
    }
}
