import Control
import Testing

/// The URLs `sluice ctl --admin` and route `webhook`s accept.
struct HTTPClientTests {
    @Test(arguments: [
        ("http://127.0.0.1:9901", "127.0.0.1", 9901, "/"),
        ("http://hooks.example.com/sluice?x=1", "hooks.example.com", 80, "/sluice?x=1"),
        ("HTTP://localhost:9000/hooks/sluice", "127.0.0.1", 9000, "/hooks/sluice"),
        ("127.0.0.1:9901", "127.0.0.1", 9901, "/"),
        (":9901", "127.0.0.1", 9901, "/"),
        ("http://[::1]:9901/", "::1", 9901, "/"),
    ])
    func accepted(url: String, host: String, port: Int, path: String) throws {
        let (client, parsedPath) = try #require(HTTPClient.parse(url: url))
        #expect(client.host == host && Int(client.port) == port && parsedPath == path)
    }

    @Test(arguments: ["https://127.0.0.1:9901", "ftp://x:1/", "http://", "http://host:0/", "http://host:99999/", "http://a:b:1/"])
    func refused(url: String) {
        #expect(HTTPClient.parse(url: url) == nil)
    }
}
