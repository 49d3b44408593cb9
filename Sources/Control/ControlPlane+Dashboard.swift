import ProxyIO

/// The dashboard (SPEC section 10): its page, served open like `/health` since it holds no
/// data (it asks for the token and calls the API with it), and the recent per-second figures
/// its charts draw.
extension ControlPlane {
    /// The page's policy: nothing but its own script and style, calls to this admin address only,
    /// no framing, no forms posted anywhere.
    static let dashboardPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        + "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    /// `GET /ui` (the page), `/ui/app.js` and `/ui/app.css` (its script and style, separate so
    /// the policy needs no inline code); 404 for anything else under `/ui`.
    static func dashboard(_ path: [String]) -> AdminResponse {
        let file: (type: String, text: String)
        switch path {
        case ["ui"]: file = ("text/html; charset=utf-8", DashboardPage.html)
        case ["ui", "app.js"]: file = ("text/javascript; charset=utf-8", DashboardScript.text)
        case ["ui", "app.css"]: file = ("text/css; charset=utf-8", DashboardPage.style)
        default: return error(404, "no such endpoint: GET /\(path.joined(separator: "/"))")
        }
        return AdminResponse(status: 200, contentType: file.type,
                             headers: [("Content-Security-Policy", dashboardPolicy), ("X-Content-Type-Options", "nosniff"),
                                       ("Referrer-Policy", "no-referrer"), ("Cache-Control", "no-cache")],
                             body: Array(file.text.utf8))
    }

    /// `GET /routes/{name}/history?since=N`: the route's seconds after second `N` (all kept ones,
    /// up to 15 minutes, without it), oldest first, each with both pools' requests, failures and
    /// p50/p95/p99 of that second; `latest` is the number to ask `since` next time.
    func history(_ name: String, since: String?, _ reply: AdminReply) {
        guard route(named: name) != nil else { return reply.send(Self.error(404, "no route named \(name)")) }
        guard let since = Int(since ?? "0"), since >= 0 else {
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
