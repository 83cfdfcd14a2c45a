import Foundation
import Testing
@testable import PaymentCodes

/// Codes as banks, wallets and acquirers issue them, collected from public documentation and peers' test
/// suites (CRCs checked independently). Each one once tripped a rule here that was stricter than the scheme.
@Suite("Codes from the field") struct FieldPayloadTests {
    static func details(_ report: CodeReport) -> [String: String] {
        Dictionary(report.details, uniquingKeysWith: { first, _ in first })
    }

    /// NPCI puts the UPI transaction reference in template 27 under the same GUID as the VPA template 26.
    @Test(arguments: [
        // Axis Bank, static
        "000201010211021646049010737005110415512260007370050061661000200737005220826UTIB000031992001003930764226460010A0000005240128MAB.037135003190033@AXISBANK27490010A000000524013103713500319003361000200737005225204829953033565802IN5920TECHNO MAIN SALTLAKE6007KOLKATA610670009162120708073700526304A9AD",
        // PayU, static
        "000201010211021644038470007469080415522024070007469061661000307000746960825HDFC00006225020001855322626470010A0000005240129yellowqr.payutest.94@hdfcbank27370010A0000005240119STQ9y45z1cv3z5450925204569153033565802IN5910vendorName6010vendorCity610650017262350519STQ9y45z1cv3z545092070870007469630417EF",
    ])
    func bharatQRWithAUPIReferenceTemplate(payload: String) {
        let report = Fixtures.classify(payload)
        #expect(report.valid, "\(report.errors)")
        #expect(report.scheme == "bharatqr" && report.currency == "INR")
        let details = Self.details(report)
        #expect(details["vpa"]?.contains("@") == true)
        #expect(details["reference"] != nil && details["reference"]?.contains("@") == false)
    }

    @Test func bharatQRStillNeedsAVPAInTemplate26() {
        // The Axis code with 26.01 no longer an address (the CRC recomputed, so only the rule can object).
        let broken = Self.withCRC("000201010211021646049010737005110415512260007370050061661000200737005220826UTIB000031992001003930764226460010A0000005240128MAB.037135003190033-AXISBANK27490010A000000524013103713500319003361000200737005225204829953033565802IN5920TECHNO MAIN SALTLAKE6007KOLKATA61067000916212070807370052")
        let report = Fixtures.classify(broken)
        #expect(!report.valid && report.errors.contains { $0.hasPrefix("tag 26.01") })
    }

    @Test func dynamicBharatQRWithAnAmount() {
        let report = Fixtures.classify("000201010212021643926300000000850415540461000000008061661005900000000890827YESB0CMSNOC222333004882700126430010A0000005240117razorpaybqr@icici02041.1027350010A0000005240117RZPGT8ildsFTgS5Sp52047531530335654041.105802IN5906zxcbmn6005Delhi610611008562300514GT8ildsFTgS5Sp070838R004506304B6A9")
        #expect(report.valid, "\(report.errors)")
        #expect(report.amount == "1.10" && report.pointOfInitiation == "dynamic")
    }

    /// GoPay's dynamic QRIS carries its own token in 62.50 instead of a nested template.
    @Test func goPayDynamicQRIS() {
        let report = Fixtures.classify("00020101021226610014COM.GO-JEK.WWW01189360091434648855360210G4648855360303UMI51440014ID.CO.QRIS.WWW0215ID10265722425390303UMI5204549953033605405170005802ID5920Toko Berkah, BNY NYR6011PROBOLINGGO61056727562395028A120260818025055rNt8gS9Lx9ID0703A016304174B")
        #expect(report.valid, "\(report.errors)")
        #expect(report.scheme == "qris" && report.amount == "17000" && report.currency == "IDR")
        #expect(report.merchantName == "Toko Berkah, BNY NYR")
        #expect(report.warnings.contains { $0.contains("62.50") })
    }

    @Test func aBrokenTemplateOutsideTheFreeFormRangesIsStillAnError() {
        // 62.07 (terminal label) is a primitive, but 62 itself must be a template: break 62's inside.
        let report = Fixtures.classify(Self.withCRC("00020101021229370016A000000677010111011300668122233335303764540510.005802TH62069999XX"))
        #expect(!report.valid && report.errors.contains { $0.hasPrefix("tag 62") })
    }

    /// PayNow expiries are a date or a date and time.
    @Test(arguments: [
        "00020101021226580009SG.PAYNOW010120213T08GB0025ACT1030100414202309281618205204000053037025406203.005802SG5915JTC CORPORATION6009SINGAPORE62260122RD030320230928293002816304E9D2",
        "00020101021226580009SG.PAYNOW010120213201929813CSPP030100414202308011802005204000053037025402205802SG5925SHOPEEPAY PRIVATE LIMITED6009SINGAPORE62270123SPP1844414393533165284563047A0C",
    ])
    func payNowWithATimeOfExpiry(payload: String) {
        let report = Fixtures.classify(payload)
        #expect(report.valid, "\(report.errors)")
        #expect(report.scheme == "paynow" && report.currency == "SGD")
    }

    @Test func payNowExpiryOfOtherLengthsIsRefused() {
        let report = Fixtures.classify(Self.withCRC("00020101021226530009SG.PAYNOW010120213T08GB0025ACT10301004092023092815204000053037025406203.005802SG5915JTC CORPORATION6009SINGAPORE"))
        #expect(!report.valid && report.errors.contains { $0.hasPrefix("tag 26.04") })
    }

    /// Thai QR Payment: a credit transfer straight to a bank account (29.04: bank code and account number).
    @Test func promptPayToABankAccount() throws {
        let report = Fixtures.classify("00020101021229370016A0000006770101110413014123456789053037645406100.005802TH6304901D")
        #expect(report.valid, "\(report.errors)")
        #expect(Self.details(report)["type"] == "BANKACC" && Self.details(report)["target"] == "0141234567890")
        #expect(report.amount == "100.00")
        var request = PaymentRequest(merchantName: "SHOP", merchantCity: "BANGKOK", amount: "100.00")
        request.account["bank-account"] = "014-1234567890"
        let built = try PromptPayScheme().build(request)
        #expect(Fixtures.classify(built).valid && Self.details(Fixtures.classify(built))["type"] == "BANKACC")
    }

    @Test func upiLinkWithTwoPayeesIsRefused() {
        let report = Fixtures.classify("upi://pay?pa=abc@upi&pa=evil@upi&pn=Test&am=1&am=1000")
        #expect(!report.valid)
        #expect(report.errors.contains { $0.hasPrefix("tag pa") } && report.errors.contains { $0.hasPrefix("tag am") })
    }

    @Test func upiLinkPlusIsASpaceAndAnEmptyAmountIsNoAmount() {
        let named = Fixtures.classify("upi://pay?pa=xyz@okaxis&pn=John+Doe&am=1.5&cu=INR")
        #expect(named.valid && named.merchantName == "John Doe")
        let plus = Fixtures.classify("upi://pay?pa=xyz@okaxis&pn=A%2BB&cu=INR")
        #expect(plus.merchantName == "A+B")
        let open = Fixtures.classify("upi://pay?pa=abc@upi&pn=A%26B%20Stores&am=&cu=INR")
        #expect(open.valid, "\(open.errors)")
        #expect(open.amount == nil && open.pointOfInitiation == "static" && open.merchantName == "A&B Stores")
    }

    @Test func vietQRWithoutItsServiceCodeIsFlagged() {
        let report = Fixtures.classify("00020101021238570010A00000072701390006970422011301234567890200208QRIBFTTA53037045405500005802VN62160812Test Payment630495B6")
        #expect(report.warnings.contains { $0.hasPrefix("tag 38.02") })
    }

    @Test func aCRCIsCheckedEvenWhenTheStructureBreaksEarlier() {
        // An extra "01" after the format indicator breaks the chain; the CRC over the text still matches.
        let broken = Self.withCRC("00020101021126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR5913Fulano de Tal6008BRASILIA")
        let shifted = String(broken.prefix(6)) + "01" + String(broken.dropFirst(6).dropLast(4))
        let report = Fixtures.classify(Self.withCRC(shifted))
        #expect(!report.valid)
        #expect(report.crc?.present == true && report.crc?.valid == true)
    }

    /// Appends "6304" and the CRC over everything before it.
    static func withCRC(_ body: String) -> String {
        let prefix = body + "6304"
        return prefix + CRC16.payloadChecksum(prefix)
    }
}
