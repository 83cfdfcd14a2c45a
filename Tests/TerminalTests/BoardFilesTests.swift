import Acquirer
import Devices
import Foundation
import PaymentCodes
import Testing
@testable import Terminal

/// Every board folder in the repository parses: its board file as the counter and the device layer read it, its
/// terminal file as a counter starts with it (a template for a real board after provisioning), and a real board
/// has the README a technician wires it by.
struct BoardFilesTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let boards: [String] = {
        let root = repository.appendingPathComponent("Board").path
        return ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [])
            .filter { FileManager.default.fileExists(atPath: "\(root)/\($0)/board.toml") }.sorted()
    }()
    static let realBoards = ["rpi4", "rpi5", "generic-arm64", "generic-pc"]

    @Test func theRealBoardsAreThere() {
        #expect(Set(Self.realBoards).isSubset(of: Set(Self.boards)), "boards found: \(Self.boards)")
    }

    @Test(arguments: boards) func boardFileParses(_ name: String) throws {
        let folder = Self.repository.appendingPathComponent("Board/\(name)").path
        let board = try BoardConfig(folder: folder, stateFolder: "/state")
        #expect(board.name == name)
        let devices = try BoardDevices(table: board.table, file: folder + "/board.toml", stateFolder: "/state")
        if board.keypadBackend == .evdev { #expect(board.keypadDevice?.hasPrefix("/dev/input/") == true) }
        if let lights = devices.lights, lights.backend == .gpiod {
            // Found by label, never by a gpiochip number that changes between kernels.
            let chip = try #require(lights.chip)
            #expect(!chip.hasPrefix("/dev/gpiochip") && !chip.hasPrefix("gpiochip"), "\(name): chip \(chip)")
            #expect(lights.gpio.count == lights.names.count)
        }
    }

    @Test(arguments: realBoards) func pisFindTheirChipByTheRightLabel(_ name: String) throws {
        let folder = Self.repository.appendingPathComponent("Board/\(name)").path
        let board = try BoardConfig(folder: folder)
        let devices = try BoardDevices(table: board.table, file: folder + "/board.toml")
        switch name {
        case "rpi4": #expect(devices.lights?.chip == "pinctrl-bcm2711")
        case "rpi5": #expect(devices.lights?.chip == "pinctrl-rp1")
        default: break
        }
        #expect(board.clockSource == .kernel, "a real board trusts the kernel's NTP flag")
        #expect(FileManager.default.fileExists(atPath: folder + "/README.md"), "\(name) needs a README for technicians")
    }

    /// The simulated and virtual boards carry their merchant; a real board's template gets it by provisioning.
    @Test(arguments: boards) func terminalFileStartsACounter(_ name: String) throws {
        let folder = Self.repository.appendingPathComponent("Board/\(name)").path
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("boards-\(name)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: state) }
        let path = folder + "/terminal.toml"
        if Self.realBoards.contains(name) {
            let link = try TerminalConfig.Link(path: path, stateFolder: state)
            #expect(link.enrollURL != nil && link.terminalID == nil)
            do {
                _ = try TerminalConfig(path: path, stateFolder: state)
                Issue.record("\(name): a template without a profile must ask for provisioning")
            } catch { #expect(error.description.contains("qrpos provision")) }
            try Self.writeProfile(into: state)
            let config = try TerminalConfig(path: path, stateFolder: state)
            #expect(config.terminalID == "T-0042" && config.merchantSource.hasSuffix("merchant-profile.json"))
            #expect(config.acceptedWallets == ["paypay", "alipayplus"] && config.maximumAmount == 50_000 && config.codeLifetime == 120)
        } else {
            let config = try TerminalConfig(path: path, stateFolder: state)
            #expect(config.merchantSource == path)
        }
    }

    static func writeProfile(into state: String) throws {
        var merchant = PaymentRequest(merchantName: "KIOSK 42", merchantCity: "OSAKA", postalCode: "5540044", categoryCode: "5812")
        merchant.currency = "JPY"
        merchant.account = ["jpqr-id": "0000000000001-0001-000001-000001"]
        let profile = MerchantProfile(terminalId: "T-0042", merchant: merchant, names: ["ja": "キオスク42", "en": "Kiosk 42"],
                                      sale: .init(acceptedWallets: ["paypay", "alipayplus"], maximumAmount: 50_000, codeLifetime: 120, currency: "JPY"),
                                      issuedAt: Date())
        try WireFormat.encoder().encode(profile).write(to: URL(fileURLWithPath: state + "/merchant-profile.json"))
    }
}
