import Control

/// Usage texts printed by `--help`.
enum Help {
    static let version = sluiceVersion

    static let main = """
    sluice: a traffic-shifting reverse proxy for blue/green and canary releases.

    Usage: sluice <command> [options]

    Commands:
      serve    run the proxy in front of the blue and green pools of every route
      check    validate route files and print every error (exit 1 on any)
      demo     a self-contained tour: backends, proxy, load, a canary reverted by
               the judge, then one that promotes (--headless for plain output)
      ctl      talk to a running sluice's admin API (status, weights, rollouts,
               reload, events)
      completion  print a shell completion script: source <(sluice completion bash)
               (or zsh)
      help     show this text; 'sluice help COMMAND' shows a command's
               options, 'sluice help env' every environment variable
      version  print the version (also --version)

    Run 'sluice <command> --help' for the options of a command.
    Every option can also be set with an environment variable SLUICE_<NAME>
    (for example SLUICE_LISTEN=0.0.0.0:8080).
    """

    /// The help of `sluice help TOPIC`: a command's usage; nil for an unknown topic.
    static func topic(_ name: String) -> String? {
        switch name {
        case "serve": serve
        case "check": check
        case "ctl": ctl
        case "demo": demo
        case "completion": completion
        case "env", "environment": environment
        default: nil
        }
    }

    /// `sluice help env`: every option's environment variable, by command.
    static var environment: String {
        let commands: [(String, OptionNames)] = [("serve", ServeCommand.names), ("check", CheckCommand.names),
                                                 ("ctl", CtlCommand.names), ("demo", DemoCommand.names)]
        var text = """
        Every option can also come from the environment: --NAME from SLUICE_NAME (upper case,
        dashes as underscores); the command line wins. Besides those, SLUICE_ADMIN_TOKEN holds
        the admin token (serve and ctl). SLUICE_ADMIN takes HOST:PORT or http(s)://HOST:PORT
        for both serve and ctl, so one value serves both.

        """
        for (command, names) in commands {
            text += "\(command):\n"
            for name in names.valued.union(names.flags).sorted() {
                let variable = Options.environmentName(name)
                text += "  " + variable + String(repeating: " ", count: max(1, 30 - variable.count)) + "--\(name)\n"
            }
        }
        return text
    }

    static let serve = """
    Usage: sluice serve [options]

    Runs the proxy. Access log: JSON lines on stdout; events and errors: JSON lines
    on stderr. SIGHUP reloads the route files and the TLS certificates (an invalid
    set is refused whole and the old one keeps serving; open connections keep their
    certificate); SIGTERM or SIGINT stops accepting, lets requests in flight finish
    (up to the drain timeout) and exits 0.

    Options:
      --routes DIR       route files, one *.json per route      (default: routes/)
      --listen ADDR      address to serve on, IP:PORT, localhost:PORT or :PORT
                                                            (default: 0.0.0.0:8080)
      --tls-listen ADDR  also serve HTTPS here (TLS 1.2 and 1.3, ALPN h2 and http/1.1),
                         with --cert and --key, or --certs          (default: no TLS)
      --http2 on|off     HTTP/2 to clients: ALPN h2 on --tls-listen (preferred) and
                         prior knowledge (the h2 preface) on --listen; off: HTTP/1.1
                         only. Backends stay HTTP/1.1                (default: on)
      --http2-max-streams N      concurrent streams per connection (default: 100)
      --http2-max-frame-size N   largest frame a client may send, 16384-16777215
                                                            (default: 16384)
      --http2-max-header-list N  largest decoded request header list, bytes (431
                         beyond it)                               (default: 32768)
      --http2-stall-timeout DURATION  longest a response may wait for a client's
                         flow-control window; then GOAWAY ENHANCE_YOUR_CALM (default: 30s)
      --cert FILE        the PEM certificate (leaf first, then intermediates)
      --key FILE         its PEM private key
      --certs DIR        several certificates as NAME.crt + NAME.key pairs, chosen per
                         connection by the client's SNI among the names in each
                         certificate; the first NAME in order is the default
      --backend-ca FILE  PEM CA certificates that https:// backends' certificates must
                         chain to                          (default: the system trust store)
      --workers N        event-loop threads                      (default: usable cores)
      --access-log WHERE stdout (one JSON line per request) or off  (default: stdout)
      --drain DURATION   longest wait for requests in flight on shutdown (default: 30s)
      --header-timeout DURATION  a client must send its request head within this (408; default: 10s)
      --body-timeout DURATION    longest pause in a client's request body (408; default: 60s)
      --idle-timeout DURATION    idle keep-alive client connections are closed after this (default: 60s)
      --max-connections N        client connections served at once, over all workers; more
                                 wait in the listen backlog (default: from the open-file
                                 limit, two descriptors each after keeping an eighth for
                                 the rest; at most 10000 per worker)
      --max-backend-connections N  busy connections to one backend, over all workers; a
                                 backend at the limit is skipped like an unhealthy one
                                 (default: no limit)
      --admin ADDR       admin API listener, HOST:PORT (http://HOST:PORT as ctl takes
                         it also works), with the dashboard at /ui
                                                           (default: 127.0.0.1:9901)
      --state DIR        weights set at run time and the event log (default: state/);
                         they win over the route files after a restart and on reload.
                         One Sluice per directory (its lock file), and per address:
                         an address or directory in use stops the start (exit 1)
      --reset-state      start from the route files, ignoring (and later replacing) the
                         state file, e.g. when it cannot be read; refused when the state
                         file's weights or stable pool differ from the files' (the split
                         would change: 'sluice check' lists them) unless --confirm-reset
      --confirm-reset    let --reset-state change the live split
      --admin-cert FILE  serve the admin API over HTTPS with this PEM certificate (leaf
      --admin-key FILE   first) and key; ctl then needs https:// (and --cacert for a
                         private CA). Loaded at start          (default: plain HTTP)
      --pid-file FILE    write the process id here once listening (removed on exit);
                         the "listening" log line carries it too as "pid"
      --admin-token-file FILE  the admin bearer token (or SLUICE_ADMIN_TOKEN); without
                         one, every admin endpoint but /health*, /metrics and /ui
                         answers 403
      --store etcd://HOST:PORT[,HOST:PORT...]  join a fleet through etcd (3.4 or later;
                         env SLUICE_STORE): run-time weights and rollouts are shared
                         with every instance on the same store and prefix, the leader
                         judges everyone's evidence (docs/fleet.md). Start-up fails
                         (exit 1) when the store does not answer or --instance is
                         alive in the fleet; the state dir then keeps only the event log
      --store-prefix PREFIX  the fleet's keys              (default: /sluice/)
      --instance NAME    this instance's unique name in the fleet
                                                   (default: host name:listen port)
      --store-lease DURATION  lease TTL, whole seconds: a dead instance leaves the
                         fleet, and its leadership moves, after about this (default: 5s)
      --help             show this text
    """

    static let demo = """
    Usage: sluice demo [options]

    A self-contained tour that needs nothing but this binary: starts an in-process
    blue and a green backend, the proxy (admin API on a loopback port) and a load
    generator; runs a canary (5% → 25% → 50% → 100%) with short holds, injects a
    regression into green (10% errors) during the second step and shows the
    judge reverting it; then runs the same canary with a healthy green, which is
    promoted. Takes about 30 seconds with the default holds. Without a terminal the
    output is plain lines, as with --headless. Ctrl-C (or SIGTERM) stops it and gives the
    terminal its cursor back. Exit 0 when the first rollout was reverted for a regression,
    the second promoted, and no request was lost.

    Options:
      --headless      plain lines (a status line a second, every event) instead of
                      the live view
      --rate N        requests a second from the load generator (default: 200)
      --hold DURATION hold of each step (default: 4s)
      --workers N     proxy worker threads (default: 2)
      --help          show this text
    """

    static let completion = """
    Usage: sluice completion bash|zsh

    Prints a completion script for the commands, ctl's commands and every option:
      source <(sluice completion bash)    # in ~/.bashrc
      source <(sluice completion zsh)     # in ~/.zshrc, after compinit
    """

    static let check = """
    Usage: sluice check [PATH] [options]

    Validates the route files like 'nginx -t': prints every error as
    FILE: KEY.PATH: message and exits 1 if there is any, 0 if the set is valid.
    PATH is a directory of route files or one file. Warns where the state
    directory's weights or stable pool (set at run time: they win over the
    files) differ from a file's.

    Options:
      --routes DIR   route files to check, when PATH is not given (default: routes/)
      --state DIR    the state directory to compare with (default: state/)
      --json         {"valid", "routes", "errors": [{"file", "key", "message"}],
                     "warnings"} instead of lines
      --effective    print every route as it would be served (like nginx -T): all
                     defaults written out, the state directory's weights and stable
                     pool applied (a JSON array with --json)
      --help         show this text
    """

    static let ctl = """
    Usage: sluice ctl <command> [options]

    The release tool's client for the admin API. The token comes from
    SLUICE_ADMIN_TOKEN, or the file named by --admin-token-file. Exit codes: 0 done,
    1 refused or failed (the reason on stderr), 2 usage (also a value ctl can tell is
    invalid before asking); 'wait' exits 3 when the rollout was reverted or aborted.
    wait, events --follow and status --watch run until SIGINT or SIGTERM.

    Commands:
      status [ROUTE] [--watch]       routes, weights, stable pool, backends, request rates;
                                     with ROUTE also the rollout's running verdict (both
                                     pools' errors and p50/p95/p99, each test's statistic
                                     and what it needs to fire); --watch redraws it every
                                     second
      weights ROUTE green=PERCENT [blue=PERCENT] [--force] [--reason TEXT]
                                     set the split now; returns once every worker uses it;
                                     --force pauses a running rollout first (else 409);
                                     the reason goes to the event log
      rollout ROUTE --plan PLAN [--to POOL] [--hold H[,H...]] [--min-requests N]
              [--analysis JSON] [--reason TEXT] [--dry-run]
                                     start a rollout: PLAN is canary (5,25,50,100; holds
                                     30m,1h,2h), bluegreen (10,50,100; holds 5m,10m) or a
                                     list of percentages ending at 100 (then --hold is
                                     required: one duration, or one per step below 100);
                                     --to defaults to the pool that is not stable;
                                     --analysis overrides the route's analysis fields for
                                     this rollout ({"minRequests": 500, "latency": {...}}),
                                     --min-requests its minRequests; --dry-run prints the
                                     plan, holds and analysis in force and what would be
                                     refused, changing nothing (exit 1 if refused)
      pause ROUTE                    stop advancing (a regression still reverts)
      resume ROUTE                   advance again; the step's weights come back
      promote ROUTE                  go to the next step now (promotes at the last)
      abort ROUTE                    send the target back to 0% now
      rollback ROUTE                 after a promotion, all traffic back to the old pool
      wait ROUTE [--timeout DURATION]
                                     block until the rollout ends, printing each step:
                                     exit 0 promoted, 3 reverted or aborted, 1 timed out
      history ROUTE                  the route's past rollouts: start, target, outcome,
                                     duration, steps, who, and why (from the audit log)
      fleet                          with --store: every instance, the leader, whether each
                                     applied the newest change, and the store's state
                                     (status shows the same under its table)
      reload                         reload the route files (refused whole if invalid)
      events [--since ID] [--limit N] [--route ROUTE] [--type TYPE] [--follow]
                                     the audit log: weight changes, rollout steps,
                                     verdicts, reverts, reloads, health flips, with who
                                     and why; at most N after event ID, of one route or
                                     type; --follow keeps printing new ones

    Options (before or after the command):
      --admin URL   the admin API: http://HOST:PORT, https://HOST:PORT, HOST:PORT or
                    :PORT (default: http://127.0.0.1:9901; env SLUICE_ADMIN)
      --cacert FILE PEM CA certificates for an https:// admin API (env SLUICE_CACERT;
                    default: the system's)
      --admin-token-file FILE  the token's file (env SLUICE_ADMIN_TOKEN_FILE), when
                    SLUICE_ADMIN_TOKEN is not set
      --json        print the API's JSON answer instead of a table (events: one a line)
      --help        show this text
    """
}
