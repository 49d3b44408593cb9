import CLinuxShim
import Glibc

// Entry point: `sluice <command> [options]`. Signals are blocked before any thread
// starts, so that only the main thread receives them (through sigwait).
shim_block_signals()

let arguments = Array(CommandLine.arguments.dropFirst())
let command = arguments.first ?? "help"
let rest = Array(arguments.dropFirst())

let status: Int32
do {
    switch command {
    case "serve": status = try ServeCommand.run(rest)
    case "check": status = try CheckCommand.run(rest)
    case "ctl": status = try CtlCommand.run(rest)
    case "demo": status = try DemoCommand.run(rest)
    case "help", "--help", "-h": print(Help.main); status = 0
    case "--version", "version": print("sluice \(Help.version)"); status = 0
    default: throw UsageError("unknown command '\(command)'")
    }
} catch let error as UsageError {
    printError("sluice: \(error.message)\nRun 'sluice --help' for usage.\n")
    status = 2
} catch {
    printError("sluice: \(error)\n")
    status = 1
}
exit(status)
