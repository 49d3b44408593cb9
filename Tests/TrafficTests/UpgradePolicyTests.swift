import Testing
import Traffic

/// Which `Upgrade` values a route tunnels: every offered protocol must be listed; h2c never is.
struct UpgradePolicyTests {
    private func allows(_ policy: UpgradePolicy, _ value: String) -> Bool {
        Array(value.utf8).withUnsafeBytes { policy.allows($0) }
    }

    @Test(arguments: ["websocket", "WebSocket", "websocket/13", " websocket ", "websocket, websocket"])
    func websocketIsTunnelledByDefault(value: String) {
        #expect(allows(.websocket, value))
    }

    @Test(arguments: ["h2c", "H2C", "websocket, h2c", "h2c, websocket", "foo", "", " , ", "websocket/", "/13",
                      "websocket;q=1", "web socket", "websocket h2c"])
    func othersAreNot(value: String) {
        #expect(!allows(.websocket, value), "\(value)")
    }

    @Test func aRouteMayListOtherProtocolsButNeverH2c() throws {
        let policy = try #require(UpgradePolicy(names: ["websocket", "Foo"]))
        #expect(allows(policy, "foo/2, websocket"))
        #expect(!allows(policy, "foo, h2c"))
        #expect(UpgradePolicy(names: ["h2c"]) == nil)
        #expect(UpgradePolicy(names: ["H2C"]) == nil)
        #expect(UpgradePolicy(names: ["a b"]) == nil)
        #expect(UpgradePolicy(names: [""]) == nil)
        let none = try #require(UpgradePolicy(names: []))
        #expect(!allows(none, "websocket"))
    }
}
