import Testing
@testable import Control

struct StoreURLTests {
    @Test func membersAreHostsAndPorts() throws {
        #expect(try StoreURL(parsing: "etcd://127.0.0.1:2379").members == [.init(host: "127.0.0.1", port: 2379)])
        #expect(try StoreURL(parsing: "ETCD://etcd-0:2379,etcd-1:2379,[::1]:32379").members
                == [.init(host: "etcd-0", port: 2379), .init(host: "etcd-1", port: 2379), .init(host: "::1", port: 32379)])
    }

    @Test(arguments: [
        ("127.0.0.1:2379", "no scheme"),
        ("http://127.0.0.1:2379", "the scheme is etcd://, not http://"),
        ("redis://h:1", "unknown scheme redis://"),
        ("etcd://", "no member"),
        ("etcd://h:2379,", "an empty member in the list"),
        ("etcd://h:2379/", "a path or trailing slash after h:2379"),
        ("etcd://h", "h is not HOST:PORT"),
        ("etcd://h:0", "h:0 is not HOST:PORT"),
        ("etcd://h:2379,h:2379", "h:2379 is listed twice"),
    ])
    func malformedValuesSayWhatIsWrong(_ value: String, _ reason: String) {
        #expect(throws: StoreURL.Malformed(value: value, reason: reason)) { try StoreURL(parsing: value) }
        #expect(StoreURL.Malformed(value: value, reason: reason).description
                == "--store \(value): \(reason) (expected etcd://HOST:PORT[,HOST:PORT...])")
    }
}
