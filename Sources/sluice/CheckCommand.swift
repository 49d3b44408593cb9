import Control

/// `sluice check`: validates the route files and reports every error.
enum CheckCommand {
    static func run(_ arguments: [String]) throws(UsageError) -> Int32 {
        let options = try Options(valued: ["routes"], arguments: arguments)
        if options.flag("help") { print(Help.check); return 0 }
        guard options.positional.isEmpty else { throw UsageError("unexpected argument '\(options.positional[0])'") }
        let directory = options.value("routes") ?? "routes"
        switch RouteLoader.load(directory: directory) {
        case .success(let table):
            print("\(directory): \(table.routes.count) route(s) OK: \(table.routes.map(\.name).joined(separator: ", "))")
            return 0
        case .failure(let failure):
            for error in failure.errors { print(error.description) }
            print("\(failure.errors.count) error(s) in \(directory)")
            return 1
        }
    }
}
