import Control
import Glibc
import Traffic

/// `sluice ctl`: the release tool's client for the admin API. Exit codes a script can
/// trust: 0 done, 1 refused or failed (the reason on stderr), 2 usage (also for a value ctl
/// can tell is invalid before asking: a plan, a pool, a weight).
enum CtlCommand {
    static let names = OptionNames(valued: ["admin", "admin-token-file", "cacert", "since", "limit", "route", "type", "reason", "to", "plan",
                                            "hold", "timeout", "min-requests", "analysis"],
                                   flags: ["json", "follow", "force", "watch", "dry-run"])
    /// The subcommands, for `sluice completion`.
    static let commands = ["status", "weights", "rollout", "pause", "resume", "promote", "abort", "rollback", "wait", "history",
                           "reload", "events", "fleet"]

    static func run(_ arguments: [String]) throws(UsageError) -> Int32 {
        let options = try Options(names, arguments: arguments)
        if options.flag("help") { print(Help.ctl); return 0 }
        guard !options.positional.isEmpty else { throw UsageError("a command is missing (status, weights, rollout, wait, events, ...)") }
        let secret: String?
        do {
            secret = try AdminToken.secret(environmentValue: Options.environment("SLUICE_ADMIN_TOKEN"),
                                           tokenFile: options.value("admin-token-file"))
        } catch {
            printError("sluice ctl: \(error.message)\n")
            return 1
        }
        let client = try AdminClient(url: options.value("admin") ?? "http://127.0.0.1:9901", token: secret,
                                     caFile: options.value("cacert"))
        let json = options.flag("json")
        let args = options.positional
        do {
            switch args[0] {
            case "status":
                guard args.count <= 2 else { throw UsageError("usage: sluice ctl status [ROUTE] [--watch]") }
                let route = args.count == 2 ? args[1] : nil
                if options.flag("watch") { watchStatus(client, route: route, json: json) }
                return try showStatus(client, route: route, json: json)
            case "fleet":
                guard args.count == 1 else { throw UsageError("usage: sluice ctl fleet") }
                return try showFleet(client, json: json)
            case "weights":
                return try setWeights(client, args, options: options, json: json)
            case "reload":
                guard args.count == 1 else { throw UsageError("usage: sluice ctl reload") }
                let response = try client.send("POST", "/reload")
                return finish(response, client, json: json, expect: ["reloaded"]) { body in
                    print("reloaded: \((body["routes"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ", "))")
                }
            case "events":
                guard args.count == 1 else {
                    throw UsageError("usage: sluice ctl events [--since ID] [--limit N] [--route ROUTE] [--type TYPE] [--follow]")
                }
                return try printEvents(client, options: options, json: json)
            case "rollout":
                guard args.count == 2 else {
                    throw UsageError("usage: sluice ctl rollout ROUTE --plan canary|bluegreen|5,25,50,100 [--to green] [--hold 30s,1m,2m]")
                }
                return try startRollout(client, route: args[1], options: options, json: json)
            case "pause", "resume", "promote", "abort", "rollback":
                guard args.count == 2 else { throw UsageError("usage: sluice ctl \(args[0]) ROUTE [--reason TEXT]") }
                let path = args[0] == "rollback" ? "/routes/\(args[1])/rollback" : "/routes/\(args[1])/rollout/\(args[0])"
                let body: JSONValue? = options.value("reason").map { ["reason": .string($0)] }
                let response = try client.send("POST", path, body: body)
                return finish(response, client, json: json, expect: ["state"]) { printRolloutLine(args[1], $0) }
            case "history":
                guard args.count == 2 else { throw UsageError("usage: sluice ctl history ROUTE") }
                return try printHistory(client, route: args[1], json: json)
            case "wait":
                guard args.count == 2 else { throw UsageError("usage: sluice ctl wait ROUTE [--timeout DURATION]") }
                return try waitForRollout(client, route: args[1], timeout: options.value("timeout"), json: json)
            default:
                throw UsageError("unknown ctl command '\(args[0])'")
            }
        } catch let failure as AdminClient.Failure {
            printError("sluice ctl: \(failure.message)\n")
            return 1
        } catch let usage as UsageError {
            throw usage
        } catch {
            printError("sluice ctl: \(error)\n")
            return 1
        }
    }

    /// `weights ROUTE green=P [blue=P] [--force] [--reason TEXT]`.
    private static func setWeights(_ client: AdminClient, _ args: [String], options: Options, json: Bool) throws -> Int32 {
        let usage = "usage: sluice ctl weights ROUTE green=PERCENT [blue=PERCENT] [--force] [--reason TEXT]"
        guard (3...4).contains(args.count) else { throw UsageError(usage) }
        var body: [String: JSONValue] = [:]
        for arg in args[2...] {
            let parts = arg.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, ["blue", "green"].contains(parts[0]), body[parts[0]] == nil,
                  let value = Double(parts[1]), value >= 0, value <= 100 else {
                throw UsageError("weights: '\(arg)' is not green=PERCENT or blue=PERCENT (0 to 100, each pool once)")
            }
            body[parts[0]] = .number(value)
        }
        if let reason = options.value("reason") { body["reason"] = .string(reason) }
        if options.flag("force") { body["force"] = true }
        let response = try client.send("PUT", "/routes/\(args[1])/weights", body: .object(body))
        return finish(response, client, json: json, expect: ["weights"]) { body in
            let weights = body["weights"]
            print("\(args[1]): blue \(text(weights?["blue"], or: "?"))% green \(text(weights?["green"], or: "?"))% (live in every worker)")
        }
    }

    /// Prints the answer (raw JSON with `--json`, else through `render`) and maps the
    /// status to the exit code: 2xx → 0, anything else → 1 with the server's reason. An
    /// answer that is not the admin API's (without its `Server` field, not JSON, or a 2xx
    /// without the keys in `expect`: a wrong `--admin`, such as the proxy's port) fails with 1
    /// and says so.
    static func finish(_ response: AdminClient.Response, _ client: AdminClient, json: Bool, expect: [String],
                       render: (JSONValue) -> Void) -> Int32 {
        guard response.fromAdminAPI, let object = response.json?.objectValue,
              (200..<300).contains(response.status) ? expect.allSatisfy({ object[$0] != nil }) : object["error"] != nil
        else {
            printError("sluice ctl: what answered \(response.request) at \(client.url) (HTTP \(response.status)) is not Sluice's"
                       + " admin API; is --admin (or SLUICE_ADMIN) the admin listener, not the proxy?\n")
            return 1
        }
        let body = JSONValue.object(object)
        guard (200..<300).contains(response.status) else {
            printError("sluice ctl: refused (\(response.status)): \(text(body["error"], or: "?"))\n")
            for line in body["detail"]?.arrayValue ?? [] {
                if let line = line.stringValue { printError("  \(line)\n") }
            }
            return 1
        }
        if json {
            print(String(decoding: response.body, as: UTF8.self), terminator: "")
        } else {
            render(body)
        }
        return 0
    }

    /// A value of an answer as the tables and lines show it: `placeholder` when it is absent
    /// or null, else its plain text (strings without quotes, numbers as JSON writes them).
    static func text(_ value: JSONValue?, or placeholder: String = "-") -> String {
        guard let value, value != .null else { return placeholder }
        return value.plainText
    }

    /// `text` cut or padded with spaces to exactly `width` characters: a table column.
    static func padded(_ text: String, to width: Int) -> String {
        String(text.prefix(width)) + String(repeating: " ", count: max(0, width - text.count))
    }
}
