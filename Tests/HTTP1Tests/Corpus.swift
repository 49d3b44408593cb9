/// Valid messages used by the split-point tests and as seeds for the fuzz test.
enum Corpus {
    static let getWithHeaders =
        "GET /search?q=sluice&page=2 HTTP/1.1\r\n"
        + "Host: example.com:8080\r\n"
        + "User-Agent: curl/8.5.0\r\n"
        + "Accept: */*\r\n"
        + "X-Empty:\r\n"
        + "X-Padded: \t padded  value \t \r\n"
        + "Cookie: a=b; c=d\r\n"
        + "X-Request-Id: req-123\r\n"
        + "X-Obs-Text: caf\u{E9}\r\n"
        + "Expect: 100-continue\r\n"
        + "\r\n"

    static let postContentLength =
        "POST /api/items HTTP/1.1\r\n"
        + "Host: api.local\r\n"
        + "Content-Type: application/json\r\n"
        + "Content-Length: 13\r\n"
        + "Connection: keep-alive\r\n"
        + "\r\n"
        + "{\"id\": 12345}"

    static let postChunked =
        "POST /upload HTTP/1.1\r\n"
        + "Host: up.example\r\n"
        + "transfer-encoding: Chunked\r\n"
        + "Trailer: X-Checksum\r\n"
        + "\r\n"
        + "5;name=value\r\n"
        + "hello\r\n"
        + "7;a;b=\"q s\"\r\n"
        + ", world\r\n"
        + "A\r\n"
        + "0123456789\r\n"
        + "0;last=yes\r\n"
        + "X-Checksum: abc\r\n"
        + "X-Other: 1\r\n"
        + "\r\n"

    static let http10NoHost =
        "GET /old/page.html HTTP/1.0\r\n"
        + "User-Agent: legacy\r\n"
        + "\r\n"

    static let http10KeepAlive =
        "GET /k HTTP/1.0\r\n"
        + "Connection: Keep-Alive\r\n"
        + "Content-Length: 2\r\n"
        + "\r\n"
        + "hi"

    static let optionsStar =
        "OPTIONS * HTTP/1.1\r\n"
        + "Host: h\r\n"
        + "\r\n"

    static let leadingCRLF =
        "\r\n\r\nGET / HTTP/1.1\r\n"
        + "Host: h\r\n"
        + "\r\n"

    static let upgrade =
        "GET /ws HTTP/1.1\r\n"
        + "Host: ws.example\r\n"
        + "Connection: keep-alive, Upgrade\r\n"
        + "Upgrade: websocket\r\n"
        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        + "Sec-WebSocket-Version: 13\r\n"
        + "\r\n"

    static let pipelined =
        "GET /a HTTP/1.1\r\n"
        + "Host: h\r\n"
        + "\r\n"
        + "POST /b HTTP/1.1\r\n"
        + "Host: h\r\n"
        + "Transfer-Encoding: chunked\r\n"
        + "\r\n"
        + "3\r\nabc\r\n0\r\n\r\n"
        + "PUT /c HTTP/1.1\r\n"
        + "Host: h\r\n"
        + "Content-Length: 4\r\n"
        + "\r\n"
        + "wxyz"
        + "HEAD /d HTTP/1.1\r\n"
        + "Host: h\r\n"
        + "Connection: close\r\n"
        + "\r\n"

    static let requests: [String] = [
        getWithHeaders, postContentLength, postChunked, http10NoHost, http10KeepAlive, optionsStar,
        leadingCRLF, upgrade, pipelined,
    ]

    static let responseContentLength =
        "HTTP/1.1 200 OK\r\n"
        + "Content-Type: text/plain\r\n"
        + "Content-Length: 5\r\n"
        + "Set-Cookie: a=1\r\n"
        + "Set-Cookie: b=2\r\n"
        + "\r\n"
        + "hello"

    static let responseChunked =
        "HTTP/1.1 201 Created Here\r\n"
        + "Transfer-Encoding: chunked\r\n"
        + "Connection: keep-alive\r\n"
        + "\r\n"
        + "4\r\nWiki\r\n"
        + "5;x=y\r\npedia\r\n"
        + "e\r\n in\r\n\r\nchunks.\r\n"
        + "0\r\n"
        + "Server-Timing: db;dur=5\r\n"
        + "\r\n"

    static let response10 =
        "HTTP/1.0 200 OK\r\n"
        + "Server: old\r\n"
        + "\r\n"
        + "body until close"

    static let response10KeepAlive =
        "HTTP/1.0 200 OK\r\n"
        + "Connection: keep-alive\r\n"
        + "Content-Length: 3\r\n"
        + "\r\n"
        + "abc"

    static let responseNoContent =
        "HTTP/1.1 204 No Content\r\n"
        + "Connection: close\r\n"
        + "\r\n"

    static let responseContinueThenOK =
        "HTTP/1.1 100 Continue\r\n"
        + "\r\n"
        + "HTTP/1.1 404\r\n"
        + "Content-Length: 0\r\n"
        + "\r\n"
        + "HTTP/1.1 200 \r\n"
        + "Content-Length: 2\r\n"
        + "\r\n"
        + "ok"

    static let responses: [String] = [
        responseContentLength, responseChunked, response10, response10KeepAlive, responseNoContent,
        responseContinueThenOK,
    ]
}
