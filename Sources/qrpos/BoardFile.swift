import Devices
import Foundation

/// `--board` as a technician types it: sim, Board/sim, Board/sim/board.toml or any path.
enum BoardFile {
    static func locate(_ board: String) throws -> String {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: board, isDirectory: &isFolder) {
            let file = isFolder.boolValue ? board + "/board.toml" : board
            if FileManager.default.fileExists(atPath: file) { return file }
        }
        let name = board.hasPrefix("Board/") ? String(board.dropFirst(6)) : board
        if let found = Assets.locate("Board/\(name)/board.toml") { return found }
        throw Failure("no board file for \"\(board)\" (looked for \(board)/board.toml and Board/\(name)/board.toml)")
    }

    /// The board's devices; its relative folders are taken from `state` (as `qrpos run --state` takes them).
    static func devices(_ board: String, state: String) throws -> BoardDevices {
        do { return try BoardDevices(file: try locate(board), stateFolder: state) } catch let error as DeviceError { throw Failure(error.description) }
    }
}
