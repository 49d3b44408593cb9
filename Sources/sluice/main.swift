import CLinuxShim
import Glibc

// Entry point: `sluice <command> [options]`. `serve` and `demo` block the stop signals before
// any thread starts, so that only their main thread receives them (through sigwait) and
// cleans up; every other command keeps the default action, so SIGINT and SIGTERM stop it at
// once, even in the middle of a request (`ctl wait`, `ctl events --follow`, `status --watch`).

let arguments = Array(CommandLine.arguments.dropFirst())
let commands = ["serve", "check", "ctl", "demo", "completion"]
let command = arguments.first ?? ""
let rest = Array(arguments.dropFirst())
if command == "serve" || command == "demo" { shim_block_signals() } else { signal(SIGPIPE, SIG_IGN) }

let status: Int32
do {
    switch command {
    case "serve": status = try ServeCommand.run(rest)
    case "check": status = try CheckCommand.run(rest)
    case "ctl": status = try CtlCommand.run(rest)
    case "demo": status = try DemoCommand.run(rest)
    case "completion": status = try CompletionCommand.run(rest)
    case "help", "--help", "-h":
        guard let topic = rest.first else { print(Help.main); status = 0; break }
        guard let text = Help.topic(topic) else { throw UsageError("no help on '\(topic)'; commands: \(commands.joined(separator: ", "))") }
        print(text)
        status = 0
    case "--version", "version": print("sluice \(Help.version)"); status = 0
    case "":
        printError(Help.main + "\n")
        status = 2
    default: throw UsageError("unknown command '\(command)'")
    }
} catch let error as UsageError {
    let help = commands.contains(command) ? "sluice \(command) --help" : "sluice --help"
    printError("sluice: \(error.message)\nRun '\(help)' for usage.\n")
    status = 2
} catch {
    printError("sluice: \(error)\n")
    status = 1
}
exit(status)
