import Control
import ProxyIO

/// `sluice ctl`'s view of the admin API: JSON in and out, the bearer token on every request.
struct AdminClient {
    private(set) var http: HTTPClient
    let token: String?

    /// Parses `http://HOST:PORT`, `https://HOST:PORT`, `HOST:PORT` or `:PORT`. `https://`
    /// verifies the server's certificate against `caFile` (PEM; nil: the system's CAs).
    init(url: String, token: String?, caFile: String? = nil) throws(UsageError) {
        let https = url.lowercased().hasPrefix("https://")
        guard let (client, path) = HTTPClient.parse(url: https ? "http://" + url.dropFirst(8) : url), path == "/" else {
            throw UsageError("--admin: '\(url)' is not http://HOST:PORT, https://HOST:PORT, HOST:PORT or :PORT")
        }
        http = client
        self.token = token
        if https {
            do {
                http.tls = try TLSClientContext(caFile: caFile)
            } catch {
                throw UsageError("--cacert: \(error)")
            }
        } else if caFile != nil {
            throw UsageError("--cacert needs an https:// --admin")
        }
    }

    /// `http://HOST:PORT`, for messages.
    var url: String { "\(http.tls == nil ? "http" : "https")://\(http.host):\(http.port)" }

    struct Response {
        /// `GET /routes`: what was asked, for messages.
        let request: String
        let status: Int
        /// Whether the answer came from a Sluice admin API (its `Server` field).
        let fromAdminAPI: Bool
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
            return Response(request: "\(method) \(path)", status: response.status,
                            fromAdminAPI: response.server == adminServerName, body: response.body)
        } catch {
            throw Failure(message: "admin API at \(http.host):\(http.port): \(error.message)")
        }
    }
}
