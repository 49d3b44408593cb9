import Control

/// `sluice ctl`'s view of the admin API: JSON in and out, the bearer token on every request.
struct AdminClient {
    let http: HTTPClient
    let token: String?

    /// Parses `http://HOST:PORT`, `HOST:PORT` or `:PORT`.
    init(url: String, token: String?) throws(UsageError) {
        guard let (client, path) = HTTPClient.parse(url: url), path == "/" else {
            throw UsageError("--admin: '\(url)' is not http://HOST:PORT, HOST:PORT or :PORT")
        }
        http = client
        self.token = token
    }

    /// `http://HOST:PORT`, for messages.
    var url: String { "http://\(http.host):\(http.port)" }

    struct Response {
        /// `GET /routes`: what was asked, for messages.
        let request: String
        let status: Int
        let body: [UInt8]
        /// The body as JSON; nil when it is not JSON.
        var json: JSONValue? { try? JSONValue(parsing: body) }
    }

    struct Failure: Error { let message: String }

    /// Sends one request (`body` encoded as JSON) and returns the answer, whatever its status.
    func send(_ method: String, _ path: String, body: JSONValue? = nil) throws(Failure) -> Response {
        let payload = body.flatMap { try? $0.encoded() } ?? []
        var headers: [(String, String)] = []
        if !payload.isEmpty { headers.append(("Content-Type", "application/json")) }
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        do {
            let response = try http.send(method, path, headers: headers, body: payload)
            return Response(request: "\(method) \(path)", status: response.status, body: response.body)
        } catch {
            throw Failure(message: "admin API at \(http.host):\(http.port): \(error.message)")
        }
    }
}
