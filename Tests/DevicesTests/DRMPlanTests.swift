import Devices
import Foundation
import Testing

/// Output choice on connector data recorded from real cards (Raspberry Pi 4 vc4, QEMU bochs).
struct DRMPlanTests {
    static func card(_ name: String) throws -> DRMCard {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Recorded/\(name).json")
        return try JSONDecoder().decode(DRMCard.self, from: Data(contentsOf: url))
    }

    @Test func preferredModeAndCRTCFromPossibleCRTCs() throws {
        let plan = try DRMPlan.choose(try Self.card("rpi4-hdmi"))
        #expect(plan.connectorName == "HDMI-A-1")
        #expect(plan.mode.width == 1920 && plan.mode.height == 1080 && plan.modeIndex == 1)
        #expect(plan.crtcID == 65, "encoder 32 can only use the first CRTC")
    }

    @Test func boardFileModeWinsAndRefreshIsHonoured() throws {
        let card = try Self.card("rpi4-hdmi")
        #expect(try DRMPlan.choose(card, mode: "1280x720").modeIndex == 2)
        #expect(try DRMPlan.choose(card, mode: "1280x720@50").modeIndex == 3)
        #expect(throws: DRMPlan.Failure.self) { try DRMPlan.choose(card, mode: "1024x600") }
    }

    @Test func currentEncoderCRTCIsKept() throws {
        let plan = try DRMPlan.choose(try Self.card("bochs-qemu"))
        #expect(plan.crtcID == 36 && plan.mode.width == 1024)
    }

    @Test func busyCRTCIsSkippedAndFirstModeUsedWithoutPreferred() throws {
        let plan = try DRMPlan.choose(try Self.card("two-outputs-busy-crtc"))
        #expect(plan.connectorName == "HDMI-A-1")
        #expect(plan.crtcID == 51, "CRTC 50 drives the DSI encoder")
        #expect(plan.modeIndex == 0)
    }

    @Test func noDisplayOrNoDumbBuffersIsAClearError() throws {
        var card = try Self.card("rpi4-hdmi")
        card.connectors = card.connectors.map { var c = $0; c.connected = false; return c }
        #expect(throws: DRMPlan.Failure.noConnectedDisplay) { try DRMPlan.choose(card) }
        card = try Self.card("bochs-qemu")
        card.dumbBuffers = false
        #expect(throws: DRMPlan.Failure.noDumbBuffers) { try DRMPlan.choose(card) }
    }
}

/// This machine has no /dev/dri and no /dev/fb: both backends must say so, not crash.
struct MissingDeviceTests {
    @Test func drmWithoutACardSaysWhat() {
        do { _ = try DRMDisplay(device: "/dev/dri/card9"); Issue.record("opened a card that does not exist") } catch {
            #expect(error.description.contains("/dev/dri/card9"))
            #expect(error.description.contains("No such file"))
        }
    }

    @Test func drmOnSomethingThatIsNotACard() {
        do { _ = try DRMDisplay(device: "/dev/null"); Issue.record("/dev/null taken for a DRM card") } catch {
            #expect(error.description.contains("/dev/null"))
        }
    }

    @Test func fbdevWithoutAFramebufferSaysWhat() {
        do { _ = try FramebufferDisplay(device: "/dev/fb7"); Issue.record("opened a framebuffer that does not exist") } catch {
            #expect(error.description.contains("/dev/fb7") && error.description.contains("framebuffer"))
        }
        do { _ = try FramebufferDisplay(device: "/dev/null"); Issue.record("/dev/null taken for a framebuffer") } catch {
            #expect(error.description.contains("FBIOGET_VSCREENINFO"))
        }
    }
}
