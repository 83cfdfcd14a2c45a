import ECRRequest
import Foundation
import FuzzSupport

/// The ECR request body a register POSTs to /v1/sales: `SaleRequest(json:currency:maximumAmount:)`.
///
/// Invariants besides "no crash":
/// - an accepted request has an amount in 1...maximum, the terminal's currency, a reference of 1 to 64
///   printable characters or none, and a mode; written back as JSON it parses to the same request;
/// - a refused one has a message of at most 200 characters (it quotes at most a prefix of what was sent),
///   never empty.
@_cdecl("LLVMFuzzerTestOneInput") public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let body = Data(bytes: data, count: size)
    for (currency, maximum) in [("JPY", 1_000_000), ("USD", Int.max)] {
        do {
            let request = try SaleRequest(json: body, currency: currency, maximumAmount: maximum)
            invariant((1...maximum).contains(request.amount), "amount \(request.amount)")
            invariant(request.currency == currency, "currency \(request.currency)")
            if let reference = request.reference {
                invariant((1...64).contains(reference.count) && reference.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F },
                          "reference \(reference.debugDescription)")
            }
            var object: [String: Any] = ["amount": request.amount, "currency": request.currency, "mode": request.mode.rawValue]
            if let reference = request.reference { object["reference"] = reference }
            let again = try SaleRequest(json: try JSONSerialization.data(withJSONObject: object), currency: currency, maximumAmount: maximum)
            invariant(again == request, "written back: \(again) != \(request)")
        } catch let refusal as SaleRequest.Invalid {
            invariant(!refusal.description.isEmpty && refusal.description.count <= 200,
                      "refusal of \(refusal.description.count) characters: \(refusal.description.prefix(300))")
        } catch {
            invariant(false, "writing an accepted request back failed: \(error)")
        }
    }
    return 0
}
