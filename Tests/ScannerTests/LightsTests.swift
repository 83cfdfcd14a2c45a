import Devices
import Foundation
import Testing

/// Light patterns on a test clock, the one-timer driver, and the sysfs and gpiod backends.
struct LightsTests {
    @Test func patternsFollowTheClock() {
        let blink = LightPattern.blink(period: .seconds(1))
        #expect([0, 250, 499, 500, 999, 1000, 1600].map { blink.level(at: .milliseconds($0)) } == [1, 1, 1, 0, 0, 1, 0])
        let pulse = LightPattern.pulse(period: .milliseconds(1500))
        #expect(pulse.level(at: .zero) == 1)
        #expect(abs(pulse.level(at: .milliseconds(750))) < 1e-9)
        #expect(abs(pulse.level(at: .milliseconds(375)) - 0.5) < 1e-9)
        #expect(abs(pulse.level(at: .milliseconds(1500)) - 1) < 1e-9)
        let second = LightPattern.cycle(slot: 1, count: 3, step: .milliseconds(500))
        #expect([0, 499, 500, 999, 1000, 2000].map { second.level(at: .milliseconds($0)) } == [0, 0, 1, 1, 0, 1])
        #expect(LightPattern.steady.level(at: .seconds(99)) == 1 && LightPattern.off.level(at: .seconds(1)) == 0)
    }

    @Test func eachStateMeansWhatTheDesignSays() {
        let lights = ["green", "amber", "red"]
        #expect(StatusSignal.ready.scene(for: lights) == ["green": .steady, "amber": .off, "red": .off])
        #expect(StatusSignal.waiting.scene(for: lights)["amber"] == .blink(period: .seconds(1)))
        #expect(StatusSignal.paid.scene(for: lights)["green"] == .pulse(period: .milliseconds(1500)))
        #expect(StatusSignal.declined.scene(for: lights) == ["green": .off, "amber": .off, "red": .steady])
        #expect(StatusSignal.offline.scene(for: lights)["red"] == .blink(period: .seconds(2)))
        #expect(StatusSignal.off.levels(for: lights, at: .seconds(3)).values.allSatisfy { $0 == 0 })
        // Technician: every light in turn, one at a time.
        for (step, lit) in lights.enumerated() {
            let levels = StatusSignal.technician.levels(for: lights, at: .milliseconds(500 * step + 100))
            #expect(levels.filter { $0.value == 1 }.map(\.key) == [lit])
        }
        // A board without amber still shows the other states.
        #expect(StatusSignal.waiting.scene(for: ["green", "red"]) == ["green": .off, "red": .off])
    }

    @Test func driverWritesOnlyChangesOnATestClock() {
        let clock = TestClock()
        let lights = SimulatedLights(output: { _ in })
        let driver = StatusLights(lights: lights, now: { clock.now }, log: { _ in })
        driver.show(.waiting)
        #expect(lights.levels == ["green": 0, "amber": 1, "red": 0])
        let afterShow = lights.writes.count
        for ms in stride(from: 20, through: 480, by: 20) { clock.advance(to: .milliseconds(ms)); driver.update() }
        #expect(lights.writes.count == afterShow, "nothing changes within the first half second")
        clock.advance(to: .milliseconds(500)); driver.update()
        #expect(lights.levels["amber"] == 0)
        clock.advance(to: .milliseconds(1000)); driver.update()
        #expect(lights.levels["amber"] == 1)
        // A new state starts its pattern from its own beginning.
        clock.advance(to: .milliseconds(1100)); driver.show(.paid)
        #expect(lights.levels == ["green": 1, "amber": 0, "red": 0])
        clock.advance(to: .milliseconds(1100 + 750)); driver.update()
        #expect(lights.levels["green"] == 0)
        clock.advance(to: .milliseconds(1100 + 375)); driver.update()
        #expect(abs(lights.levels["green"]! - 128.0 / 255) < 1e-9, "a pulse passes through half brightness")
    }

    @Test func oneTimerDrivesThePatterns() async throws {
        let lights = SimulatedLights(output: { _ in })
        let driver = StatusLights(lights: lights, tick: .milliseconds(10), log: { _ in })
        driver.start()
        driver.show(.waiting)
        try await Task.sleep(for: .milliseconds(1200))
        driver.stop()
        let amber = lights.writes.filter { $0.name == "amber" }.map(\.level)
        // The timer's first tick may come before show(): then amber starts with an "off" write.
        #expect(amber.drop { $0 == 0 }.starts(with: [1, 0, 1]), "\(amber)")
        #expect(lights.levels.values.allSatisfy { $0 == 0 }, "stop turns every light off")
    }

    @Test func sysfsLEDsAreDrivenAndTheirTriggerGivenBack() throws {
        let root = try Fixtures.folder("leds")
        for (name, maximum) in [("qrpos:green", "255"), ("qrpos:red", "1")] {
            try FileManager.default.createDirectory(atPath: "\(root)/\(name)", withIntermediateDirectories: true)
            try "0\n".write(toFile: "\(root)/\(name)/brightness", atomically: false, encoding: .utf8)
            try "\(maximum)\n".write(toFile: "\(root)/\(name)/max_brightness", atomically: false, encoding: .utf8)
            try "none [heartbeat] timer\n".write(toFile: "\(root)/\(name)/trigger", atomically: false, encoding: .utf8)
        }
        func read(_ file: String) throws -> String { try String(contentsOfFile: "\(root)/\(file)", encoding: .utf8).trimmingCharacters(in: .newlines) }
        let lights = try LEDClassLights(leds: [("green", "qrpos:green"), ("red", "qrpos:red")], root: root)
        #expect(try read("qrpos:green/trigger") == "none", "the kernel trigger would fight the pattern")
        try lights.set("green", level: 0.5)
        try lights.set("red", level: 1)
        #expect(try read("qrpos:green/brightness") == "128")
        #expect(try read("qrpos:red/brightness") == "1")
        lights.close()
        #expect(try read("qrpos:green/brightness") == "0")
        #expect(try read("qrpos:green/trigger") == "heartbeat")
        #expect(throws: DeviceError.self) { try LEDClassLights(leds: [("amber", "qrpos:amber")], root: root) }
        do { _ = try LEDClassLights(leds: [("amber", "qrpos:amber")], root: root) } catch {
            #expect(error.description.contains("qrpos:green") && error.description.contains("amber"), "\(error)")
        }
    }

    @Test func gpiodFailsClearlyWithoutAChip() throws {
        let wiring = [GPIOLights.Wiring(light: "green", line: .name("led-green"))]
        do { _ = try GPIOLights(chip: "/dev/gpiochip42", wiring: wiring); Issue.record("opened a chip that does not exist") } catch {
            #expect(error.call == "gpiod_chip_open" && error.device == "/dev/gpiochip42")
            #expect(error.description.contains("no such GPIO chip"), "\(error)")
        }
        let empty = try Fixtures.folder("nogpio")
        do { _ = try GPIOLights(chip: "gpio-sim", wiring: wiring, devices: empty); Issue.record("found a chip in an empty folder") } catch {
            #expect(error.description.contains("no GPIO chips"), "\(error)")
        }
        // A file where a chip should be: named in the error, not skipped silently.
        _ = FileManager.default.createFile(atPath: empty + "/gpiochip0", contents: Data())
        do { _ = try GPIOLights(chip: "gpio-sim", wiring: wiring, devices: empty); Issue.record("opened a plain file as a chip") } catch {
            #expect(error.description.contains("no GPIO chip labelled \"gpio-sim\"") && error.description.contains("gpiochip0"), "\(error)")
        }
    }

    @Test func boardFilesNameTheLightsAndCamera() throws {
        let sim = try BoardDevices(file: Corpus.root.appendingPathComponent("Board/sim/board.toml").path)
        #expect(sim.lights?.backend == .simulated && sim.lights?.names == ["green", "amber", "red"])
        #expect(sim.camera?.backend == .images)
        #expect(try sim.openLights(output: { _ in }).names == ["green", "amber", "red"])
        let qemu = try BoardDevices(file: Corpus.root.appendingPathComponent("Board/qemu-x86_64/board.toml").path)
        #expect(qemu.camera == .init(backend: .v4l2, device: "/dev/video0", width: 1280, height: 720))
        #expect(qemu.lights?.backend == .gpiod && qemu.lights?.chip == "gpio-sim")
        #expect(qemu.lights?.gpio == [.init(light: "green", line: .name("led-green")), .init(light: "amber", line: .name("led-amber")),
                                      .init(light: "red", line: .name("led-red"), activeLow: true)])
        // This machine has no GPIO chip: opening the virtual board's lights here must say so.
        if !FileManager.default.fileExists(atPath: "/dev/gpiochip0") {
            #expect(throws: DeviceError.self) { try qemu.openLights() }
        }
        let folder = try Fixtures.folder("board")
        try "[lights]\nbackend = \"gpiod\"\ngreen = { led = \"x\" }\n".write(toFile: folder + "/board.toml", atomically: true, encoding: .utf8)
        do { _ = try BoardDevices(file: folder + "/board.toml"); Issue.record("a gpiod light without a line was accepted") } catch {
            #expect(error.description.contains("lights.green") && error.description.contains("line"), "\(error)")
        }
    }
}
