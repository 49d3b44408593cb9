public import Traffic
import Glibc

/// Loads the routes directory: every `*.json` file, one route each. Runs at startup, on reload
/// and for `sluice check`; blocks (file reads, host name resolution), so never on an event loop.
public enum RouteLoader {
    /// Reads and checks every `*.json` file of `directory` (sorted by name; dot files are
    /// skipped, as a shell glob would), then checks across files that route names and match
    /// rules are unique. Returns the route table only when there is no error at all; otherwise
    /// every error of every file, in file order.
    public static func load(directory: String) -> Result<RouteTable, RouteLoadFailure> {
        let names: [String]
        do throws(FileSystem.Failure) {
            names = try FileSystem.names(in: directory).filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.sorted()
        } catch {
            return failure(directory, error.code == ENOENT ? "no such routes directory" : "cannot read the routes directory")
        }
        guard !names.isEmpty else {
            return failure(directory, "no route files (*.json) in the routes directory")
        }
        return load(files: names.map { FileSystem.path(directory, $0) })
    }

    /// Reads and checks the given route files, in the given order, as `load(directory:)` does.
    public static func load(files: [String]) -> Result<RouteTable, RouteLoadFailure> {
        var routes: [Route] = []
        var errors: [RouteFileError] = []
        var fileByName: [String: String] = [:]
        var ownerByRule: [RouteFileDecoder.MatchRule: String] = [:]
        for file in files {
            guard let bytes = try? FileSystem.read(file) else {
                errors.append(RouteFileError(file: file, keyPath: "", message: "cannot read the file"))
                continue
            }
            var decoder = RouteFileDecoder(file: file)
            if let route = decoder.decode(bytes) {
                routes.append(route)
            }
            if let name = decoder.name {
                if let first = fileByName[name] {
                    decoder.fail(at: "name", "route name \"\(name)\" is already used by \(first)")
                } else {
                    fileByName[name] = file
                }
            }
            if let rule = decoder.matchRule {
                if let first = ownerByRule[rule] {
                    let host = rule.host.map { "host \"\($0)\"" } ?? "any host"
                    let prefix = String(decoding: rule.pathPrefix, as: UTF8.self)
                    decoder.fail(at: "match", "\(host) with pathPrefix \"\(prefix)\" is already matched by \(first)")
                } else {
                    ownerByRule[rule] = decoder.name.map { "route \"\($0)\" in \(file)" } ?? file
                }
            }
            errors += decoder.errors
        }
        return errors.isEmpty ? .success(RouteTable(routes: routes)) : .failure(RouteLoadFailure(errors: errors))
    }

    private static func failure(_ directory: String, _ message: String) -> Result<RouteTable, RouteLoadFailure> {
        .failure(RouteLoadFailure(errors: [RouteFileError(file: directory, keyPath: "", message: message)]))
    }
}
