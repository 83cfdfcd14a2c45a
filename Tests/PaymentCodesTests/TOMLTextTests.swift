import Foundation
import Testing
@testable import PaymentCodes

/// No TOML text aborts the terminal: what would reach an assertion in toml++ is refused with the line, the
/// column and a reason; everything else goes to TOMLKit, and its errors come back the same way.
@Suite("TOML text") struct TOMLTextTests {
    /// Inputs that abort toml++ 3.4.0 (exit 134) when handed to it directly, with where the guard refuses them.
    static let aborting: [(text: String, line: Int, column: Int, reason: String)] = [
        ("[}", 1, 2, "table name must start"),
        ("[ストア]\nname = \"x\"\n", 1, 2, "must be quoted: [\"ストア\"]"),
        ("[[ 店舗 ]]\n", 1, 4, "must be quoted: [[\"店舗\"]]"),
        ("[merchant]\naccepted_wallets = [\"paypay\", \"merpay\", }\n", 2, 41, "found '}'"),
        ("[[}]]", 1, 3, "table name must start"),
        ("[ }", 1, 3, "table name must start"),
        ("[#]", 1, 2, "table name must start"),
        ("[=]", 1, 2, "table name must start"),
        ("[,]", 1, 2, "table name must start"),
        ("[\u{7F}]", 1, 2, "U+007F"),
        ("[\n]", 1, 2, "closed on its line"),
        ("[\t\r\n", 1, 3, "closed on its line"),
        ("\u{FEFF}[}", 1, 3, "table name must start"),
        ("x = 1\n[store.名前]\n", 2, 8, "must be quoted: [store.\"名前\"]"),
        ("a = [\n}]", 2, 1, "found '}'"),
        ("a = [ # a comment\n}", 2, 1, "found '}'"),
        ("a = [1,}", 1, 8, "found '}'"),
        ("a=[[[}]]]", 1, 6, "found '}'"),
        ("a = { b = [ } ] }", 1, 13, "found '}'"),
        ("a = [\u{2028}]", 1, 6, "U+2028"),
        ("a = [ \u{85} ]", 1, 7, "U+0085"),
        ("[\u{2029}]", 1, 2, "U+2029"),
        ("a = 1\0\n[}", 1, 6, "NUL"),
        ("a = 1979-05-27TD7:32:00Z", 1, 16, "date-time needs the time right after 'T'"),
        ("a = [2000-01-01t:]", 1, 17, "date-time needs the time right after 't'"),
        ("m = { at = 2000-01-01T: }", 1, 23, "date-time"),
        ("d = 1979-05-27 0\n", 1, 17, "two-digit hour"),
        ("d = [1979-05-27 0]", 1, 18, "two-digit hour"),
        // Found by fuzzing TOMLText (Fuzz/, FuzzTOML): not a date, but ten characters toml++ takes for one.
        ("a=1979-05-2w 2 ", 1, 15, "two-digit hour"),
        ("a = 19_79-05-27 0\n", 1, 18, "two-digit hour"),
        ("a = [0,1979-05-2w 2 = [0,1979-05-2w 2--------0{5-005-0", 1, 20, "two-digit hour"),
        ("d = 1979-05-27 0", 1, 17, "found the end of the file"),
    ]

    @Test(arguments: aborting.indices)
    func abortingInputsAreRefusedWithTheirPlace(index: Int) {
        let (text, line, column, reason) = Self.aborting[index]
        do {
            _ = try TOMLText.table(text, file: "x.toml")
            Issue.record("accepted \(text.debugDescription)")
        } catch {
            #expect(error.file == "x.toml" && error.line == line && error.column == column, "\(text.debugDescription): \(error)")
            #expect(error.reason.contains(reason), "\(text.debugDescription): \(error)")
            #expect(error.description.hasPrefix("x.toml: line \(line), column \(column): "))
        }
    }

    @Test func anythingAfterANulByteIsNotIgnored() {
        let refusal = TOMLGuard.check("name = \"a\"\0name = \"b\"\n")
        #expect(refusal?.line == 1 && refusal?.column == 11 && refusal?.reason.contains("NUL") == true)
        #expect(TOMLGuard.check("s = \"a\0b\"")?.reason.contains("NUL") == true)
        #expect(TOMLGuard.check("# x\0\n")?.reason.contains("NUL") == true)
    }

    @Test func invalidUTF8IsNamedByLineAndColumn() throws {
        let bytes = Array("a = 1\nb = \"".utf8) + [0xE3, 0x81] + Array("\"\n".utf8)
        #expect(throws: TOMLTextError(file: "f.toml", line: 2, column: 6, reason: "the file is not valid UTF-8 here (save it as UTF-8)")) {
            try TOMLText.text(bytes, file: "f.toml")
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("latin1-\(getpid()).toml").path
        try Data([0x6E, 0x3D, 0x22, 0xE9, 0x22, 0x0A]).write(to: URL(fileURLWithPath: path))
        do { _ = try TOMLText.read(path); Issue.record("read Latin-1 as UTF-8") } catch {
            #expect(error.file == path && error.line == 1 && error.column == 4)
        }
        #expect(throws: TOMLTextError.self) { try TOMLText.read("/nonexistent/x.toml") }
    }

    @Test func tomlKitsErrorsComeBackWithFileAndLine() {
        do { _ = try TOMLText.table("a = 1\n[acquirer\n", file: "t.toml"); Issue.record("accepted") } catch {
            #expect(error.file == "t.toml" && error.line == 2, "\(error)")
            #expect(!error.reason.isEmpty)
        }
        do { _ = try TOMLText.table("a = 1\na = 2\n"); Issue.record("accepted a key twice") } catch {
            #expect(error.line == 2, "\(error)")
        }
    }

    /// Every TOML file the project ships passes the guard and parses.
    @Test func theShippedFilesAreAccepted() throws {
        let root = Fixtures.repoRoot
        var files = ["Assets/wallets.toml"] + Self.languages.map { "Assets/strings/\($0).toml" }
        let boards = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("Board").path)
        for board in boards {
            for name in ["board.toml", "terminal.toml"] where FileManager.default.fileExists(atPath: root.appendingPathComponent("Board/\(board)/\(name)").path) {
                files.append("Board/\(board)/\(name)")
            }
        }
        #expect(files.count >= 10)
        for file in files {
            let path = root.appendingPathComponent(file).path
            let text = try TOMLText.read(path)
            #expect(TOMLGuard.check(text) == nil, "\(file): \(String(describing: TOMLGuard.check(text)))")
            #expect(throws: Never.self) { _ = try TOMLText.table(text, file: file) }
        }
    }
    static let languages = ["ja", "en", "zh-Hans", "zh-Hant", "ko"]

    /// Normal TOML of every kind goes through untouched.
    @Test(arguments: [
        "\"quoted key\" = 1\n'literal key' = 2\n\"ストア\" = \"店\"\n",
        "a.b.c = 1\nsite.\"google.com\" = true\n",
        "[merchant]\naccount = { jpqr-id = \"0000000000001-0001-000001-000001\", \"x y\" = '}' }\n",
        "[[wallet]]\nid = \"a\"\n[[wallet]]\nid = \"b\"\n[wallet.names]\nja = \"ア\"\n",
        "[\"ストア\"]\nname = 1\n[ 'a b' . c ]\nx = 2\n[[ \"t\".u ]]\n",
        "s = \"\"\"\n[} line\n  \"\" still \\\"\"\" in\n\"\"\"\nt = '''\n[}\n]'''\nu = \"\"\"a\"\"\"\"\nv = '''b'''''\n",
        "# comment with [} { ] \" ' ''' \u{2028} ストア and a tab\t\n[a] # [}\nx = [ # ]\n  1, # }\n  2,\n] # end\n",
        "s = \"[brackets] {braces} } ] [\"\nt = '[}'\nu = \"\\\"[}\"\n",
        "arr = [[1, 2], [\"a\", 'b'], [{ x = 1 }, { y = [] }], []]\nempty = {}\n",
        "d = 1979-05-27T07:32:00Z\ne = 1979-05-27 07:32:00\nf = 07:32:00\ng = +inf\nh = 0x1F\ni = -0.5e3\nj = true\n",
        "\u{FEFF}name = \"bom\"\r\n[t]\r\nx = 1\r\n",
        "a = [\n  1,\n  2,\n]\n",
    ])
    func validTOMLIsAccepted(text: String) {
        #expect(TOMLGuard.check(text) == nil, "\(text.debugDescription): \(String(describing: TOMLGuard.check(text)))")
        #expect(throws: Never.self) { _ = try TOMLText.table(text) }
    }

    /// Every single-character edit of a shipped file near the characters that matter: refused or parsed, never aborted.
    @Test func editsOfTheTerminalFileNeverAbort() throws {
        let text = try TOMLText.read(Fixtures.repoRoot.appendingPathComponent("Board/sim/terminal.toml").path)
        let scalars = Array(text.unicodeScalars)
        var refused = 0
        for position in scalars.indices where "[]{},=\"\n".unicodeScalars.contains(scalars[position]) {
            for insert in ["}", "]", "[", "\n", "{", ",", "\u{2028}", "ス"] {
                var edited = scalars
                edited.insert(contentsOf: insert.unicodeScalars, at: position + 1)
                let document = String(String.UnicodeScalarView(edited))
                do { _ = try TOMLText.table(document) } catch { refused += 1; #expect(error.line > 0 && !error.reason.isEmpty) }
            }
        }
        #expect(refused > 0)
    }

    @Test func theRegistryAndProfileReportSyntaxWithLineAndColumn() {
        do { _ = try WalletRegistry(toml: "[[wallet]]\nid = \"x\"\nmodes = [\"merchant-presented\", }\n"); Issue.record("accepted") } catch {
            guard case let .syntax(line, column, message) = error else { Issue.record("\(error)"); return }
            #expect(line == 3 && column == 32 && message.contains("'}'"))
        }
        do { _ = try PaymentRequest(toml: "[}\n"); Issue.record("accepted") } catch {
            #expect(error.description.hasPrefix("line 1, column 2: "), "\(error)")
        }
    }

    @Test func aMissingMerchantKeyIsNamedOnce() {
        do { _ = try PaymentRequest(toml: "[merchant]\ncity = \"OSAKA\"\n"); Issue.record("accepted") } catch {
            #expect(error.description == "missing key merchant.name", "\(error)")
        }
        do { _ = try PaymentRequest(toml: "[merchant]\nname = \"X\"\n"); Issue.record("accepted") } catch {
            #expect(error.description == "missing key merchant.city", "\(error)")
        }
        do { _ = try PaymentRequest(toml: "name = \"X\"\n"); Issue.record("accepted") } catch {
            #expect(error.description == "missing key merchant", "\(error)")
        }
    }
}
