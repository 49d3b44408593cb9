import Glibc

/// Command-line options of one subcommand: `--name value`, `--name=value` and `--flag`,
/// each also read from the environment as `SLUICE_NAME` (dashes become underscores) when
/// not given on the command line. Unknown options are usage errors (exit 2).
struct Options {
    /// Options that take a value, and flags that do not.
    let valued: Set<String>
    let flags: Set<String>
    private(set) var values: [String: String] = [:]
    private(set) var setFlags: Set<String> = []
    private(set) var positional: [String] = []

    init(_ names: OptionNames, arguments: [String]) throws(UsageError) {
        let valued = names.valued
        self.valued = valued
        self.flags = names.flags.union(["help"])
        var i = 0
        while i < arguments.count {
            let arg = arguments[i]
            i += 1
            guard arg.hasPrefix("--"), arg.count > 2 else {
                positional.append(arg)
                continue
            }
            var name = String(arg.dropFirst(2))
            var inlineValue: String? = nil
            if let eq = name.firstIndex(of: "=") {
                inlineValue = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            }
            if self.flags.contains(name) {
                guard inlineValue == nil else { throw UsageError("option --\(name) takes no value") }
                setFlags.insert(name)
            } else if valued.contains(name) {
                if let v = inlineValue {
                    values[name] = v
                } else {
                    guard i < arguments.count else { throw UsageError("option --\(name) needs a value") }
                    values[name] = arguments[i]
                    i += 1
                }
            } else {
                throw UsageError("unknown option --\(name)")
            }
        }
    }

    /// The value from the command line, else from `SLUICE_NAME`, else nil.
    func value(_ name: String) -> String? {
        values[name] ?? Self.environment(Self.environmentName(name))
    }

    func flag(_ name: String) -> Bool {
        if setFlags.contains(name) { return true }
        guard name != "help", let v = Self.environment(Self.environmentName(name)) else { return false }
        return ["1", "true", "yes", "on"].contains(v.lowercased())
    }

    static func environmentName(_ name: String) -> String {
        "SLUICE_" + name.uppercased().replacing("-", with: "_")
    }

    /// The environment variable `name`; nil when it is not set.
    static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}

/// The options a command takes: those with a value and the flags (`--help` is always one).
/// Read by the command's parser and by `sluice completion`.
struct OptionNames {
    let valued: Set<String>
    let flags: Set<String>
}

/// A command line that cannot be run as written; the command exits 2.
struct UsageError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
