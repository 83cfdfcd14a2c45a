import FuzzSupport
import PaymentCodes
import TOMLKit

/// TOML files (board, terminal, registry, merchant profile): the one entry point `TOMLText` (UTF-8 check,
/// `TOMLGuard`, then TOMLKit's bundled toml++, built here with ASan and its assertions on), then
/// `WalletRegistry(toml:)` and `PaymentRequest(toml:)` on the same text.
///
/// Invariants besides "no crash" (an assertion inside toml++ is an abort, i.e. a crash: the guard let it through):
/// - the bytes are UTF-8 text, or a `TOMLTextError` at line >= 1, column >= 1;
/// - the text is a table, or a `TOMLTextError` at line >= 1, column >= 1 with a reason;
/// - valid TOML always passes the guard: toml++'s own rendering of any table it parsed passes `TOMLGuard`
///   and parses again;
/// - the registry and the merchant profile report a syntax error exactly where `TOMLText` does;
/// - a registry that loads classifies numbers and codes without crashing; a merchant profile that loads either
///   builds a code that decodes cleanly with a valid CRC, or is refused with a reason, for every scheme.
@_cdecl("LLVMFuzzerTestOneInput") public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text: String
    do { text = try TOMLText.text(bytes(data, size)) } catch {
        invariant(error.line >= 1 && error.column >= 1, "UTF-8 error without a place: \(error)")
        return 0
    }
    var syntax: TOMLTextError?
    do {
        let table = try TOMLText.table(text)
        let rendered = table.convert(to: .toml)
        invariant(TOMLGuard.check(rendered) == nil, "the guard refuses toml++'s own rendering: \(TOMLGuard.check(rendered)!)\n\(rendered)")
        do { _ = try TOMLText.table(rendered) } catch { invariant(false, "toml++'s own rendering does not parse again: \(error)\n\(rendered)") }
    } catch {
        invariant(error.line >= 1 && error.column >= 1 && !error.reason.isEmpty, "a TOML error without a place or reason: \(error)")
        syntax = error
    }

    do {
        let registry = try WalletRegistry(toml: text)
        invariant(syntax == nil, "the registry loads text TOMLText refuses")
        let classifier = Classifier(registry: registry)
        for number in ["4912345678901234567", "281234567890123456", "8012345678", "000201010211"] {
            _ = registry.wallets(forNumber: number)
            _ = classifier.classify(number)
        }
        _ = classifier.classify("hQVDUFYwMWETTwegAAAAQRAQVwhUEzMAAAAVEw")
    } catch {
        if let syntax {
            guard case let .syntax(line, column, message) = error else { invariant(false, "registry: \(error) for \(syntax)"); return 0 }
            invariant(line == syntax.line && column == syntax.column && message == syntax.reason, "registry: \(error) for \(syntax)")
        } else if case .syntax = error {
            invariant(false, "registry: a syntax error TOMLText did not find: \(error)")
        }
        invariant(!error.description.isEmpty, "registry: an empty reason")
    }

    do {
        let request = try PaymentRequest(toml: text)
        invariant(syntax == nil, "the merchant profile loads text TOMLText refuses")
        for scheme in MerchantSchemes.all {
            guard let payload = try? scheme.build(request) else { continue }
            let code = MerchantCode(decoding: payload)
            invariant(code.structureProblems.isEmpty && code.crc?.valid == true, "\(scheme.id) built \(payload): \(code.structureProblems)")
        }
    } catch {
        if let syntax {
            guard case let .syntax(line, column, _) = error else { invariant(false, "profile: \(error) for \(syntax)"); return 0 }
            invariant(line == syntax.line && column == syntax.column, "profile: \(error) for \(syntax)")
        }
        invariant(!error.description.isEmpty, "profile: an empty reason")
    }
    return 0
}
