import Foundation
import Control
import Traffic

/// A temporary routes directory holding the given files; removed when the test is done with it.
struct RouteDirectory: ~Copyable {
    let path: String

    init(_ files: [String: String]) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-routes-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        for (name, text) in files {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path + "/" + name))
        }
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// The file's path as errors name it.
    func file(_ name: String) -> String {
        path + "/" + name
    }

    func load() -> Result<RouteTable, RouteLoadFailure> {
        RouteLoader.load(directory: path)
    }

    /// The errors of a load that must fail (empty if it succeeded, which fails the comparison).
    func errors() -> [RouteFileError] {
        switch load() {
        case .success: []
        case .failure(let failure): failure.errors
        }
    }
}
