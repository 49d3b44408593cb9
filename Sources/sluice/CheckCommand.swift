import Control
import Traffic

/// `sluice check [PATH]`: validates the route files (a directory of them, or one file) and
/// reports every error; warns where the state dir's run-time weights or stable pool win over
/// a file's.
enum CheckCommand {
    static let names = OptionNames(valued: ["routes", "state"], flags: ["json", "effective"])

    static func run(_ arguments: [String]) throws(UsageError) -> Int32 {
        let options = try Options(names, arguments: arguments)
        if options.flag("help") { print(Help.check); return 0 }
        guard options.positional.count <= 1 else { throw UsageError("unexpected argument '\(options.positional[1])'") }
        let path = options.positional.first ?? options.value("routes") ?? "routes"
        let result = FileSystem.isDirectory(path) || !FileSystem.exists(path)
            ? RouteLoader.load(directory: path) : RouteLoader.load(files: [path])
        let json = options.flag("json")
        switch result {
        case .success(let table):
            let stateDirectory = options.value("state") ?? "state"
            let saved: StateFile?
            do {
                saved = try StateStore.load(file: StateStore.file(in: stateDirectory))
            } catch {
                printError("sluice check: \(error) (the route files are valid)\n")
                return 1
            }
            let overrides = saved.map { StateOverride.find($0, table) } ?? []
            if options.flag("effective") { return printEffective(table, saved, overrides, json: json) }
            if json {
                print(JSONValue.object(["valid": true, "routes": .array(table.routes.map { .string($0.name) }), "errors": [],
                                        "warnings": .array(overrides.map { .string("\(stateDirectory): \($0)") })]).plainText)
                return 0
            }
            print("\(path): \(table.routes.count) route(s) OK: \(table.routes.map(\.name).joined(separator: ", "))")
            for override in overrides {
                print("warning: \(stateDirectory): \(override); sluice serve --reset-state would send traffic back to the file's split")
            }
            return 0
        case .failure(let failure):
            if json {
                let errors = failure.errors.map { error -> JSONValue in
                    ["file": .string(error.file), "key": .string(error.keyPath), "message": .string(error.message)]
                }
                print(JSONValue.object(["valid": false, "routes": [], "errors": .array(errors), "warnings": []]).plainText)
                return 1
            }
            for error in failure.errors { print(error.description) }
            print("\(failure.errors.count) error(s) in \(path)")
            return 1
        }
    }

    /// `--effective`: every route as it would be served, defaults written out and the state
    /// dir's weights and stable pool applied, each under a comment saying where they came from.
    private static func printEffective(_ table: RouteTable, _ saved: StateFile?, _ overrides: [StateOverride], json: Bool) -> Int32 {
        var routes: [JSONValue] = []
        for var route in table.routes {
            if let kept = saved?.routes[route.name] {
                route.greenWeight = kept.greenWeight
                route.stable = kept.stable
            }
            routes.append(RouteFileEncoder.json(route))
            if json { continue }
            let override = overrides.first { $0.route == route.name }
            print("# route \(route.name): " + (override.map { "weights and stable pool from the state directory, not the file: \($0)" }
                                                ?? "weights and stable pool as in the file"))
            print(String(decoding: (try? routes.last!.encodedPretty()) ?? [], as: UTF8.self))
        }
        if json { print(JSONValue.array(routes).plainText) }
        return 0
    }
}
