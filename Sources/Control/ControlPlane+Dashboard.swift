import ProxyIO

/// The dashboard (docs/dashboard.md): its page, served open like `/health` since it holds no
/// data (it asks for the token and calls the API with it), and the recent per-second figures
/// its charts draw.
extension ControlPlane {
    /// The page's policy: nothing but its own script and style, calls to this admin address only,
    /// no framing, no forms posted anywhere.
    static let dashboardPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        + "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    /// The page's files: `GET /ui` (the page), `/ui/app.js` and `/ui/app.css` (its script and
    /// style, separate so the policy needs no inline code).
    static let dashboardFiles: [(path: String, type: String, text: String)] = [
        ("/ui", "text/html; charset=utf-8", DashboardPage.html),
        ("/ui/app.js", "text/javascript; charset=utf-8", DashboardScript.text),
        ("/ui/app.css", "text/css; charset=utf-8", DashboardPage.style),
    ]

    /// One of `dashboardFiles`, with the page's policy.
    static func dashboardFile(_ type: String, _ text: String) -> AdminResponse {
        AdminResponse(status: 200, contentType: type,
                             headers: [("Content-Security-Policy", dashboardPolicy), ("X-Content-Type-Options", "nosniff"),
                                       ("Referrer-Policy", "no-referrer"), ("Cache-Control", "no-cache")],
                             body: Array(text.utf8))
    }

    /// `GET /routes/{name}/history?since=N`: the route's seconds after second `N` (all kept ones,
    /// up to 15 minutes, without it), oldest first, each with both pools' requests, failures and
    /// p50/p95/p99 of that second; `latest` is the number to ask `since` next time.
    func history(_ call: Call, _ reply: AdminReply) {
        guard let name = route(call, reply)?.name else { return }
        guard let since = Int(call.request.query["since"] ?? "0"), since >= 0 else {
            return reply.send(Self.error(400, "since must be a second's number (0 for all)"))
        }
        let ring = recent[name] ?? RecentSeconds()
        func pool(_ f: RecentSeconds.Figures) -> JSONValue {
            func ms(_ value: Float) -> JSONValue { value.isNaN ? .null : .number((Double(value) * 100).rounded() / 100) }
            return ["requests": .number(Double(f.requests)), "failures": .number(Double(f.failures)),
                    "p50Ms": ms(f.p50Ms), "p95Ms": ms(f.p95Ms), "p99Ms": ms(f.p99Ms)]
        }
        let seconds = ring.seconds(since: since).map { s -> JSONValue in
            ["second": .number(Double(s.number)), "blue": pool(s.blue), "green": pool(s.green)]
        }
        reply.send(Self.json(200, ["route": .string(name), "latest": .number(Double(ring.latest)), "seconds": .array(seconds)]))
    }
}
