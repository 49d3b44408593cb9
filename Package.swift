// swift-tools-version:6.0
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]
/// The request path's modules run without the dynamic exclusivity checks in release builds
/// (about 4% of a worker's CPU in a profile: thread-local access sets on every buffer
/// access); debug builds and the tests keep them. They are also built with cross-module
/// optimization, so that ProxyIO inlines the pure modules' small functions (the exchange's
/// events, the readers' steps) as if they were its own.
let hotPathSettings = swiftSettings + [.unsafeFlags(["-enforce-exclusivity=unchecked", "-cross-module-optimization"], .when(configuration: .release))]

let package = Package(
    name: "sluice",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "sluice", targets: ["sluice"]),
    ],
    targets: [
        // Linux headers Swift cannot import directly: epoll, eventfd, timerfd, socket options.
        .target(name: "CLinuxShim"),
        // OpenSSL (libssl-dev) and C wrappers for the macros and callbacks Swift cannot use.
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        // PURE: HTTP/1.1 wire format. No I/O, no Foundation.
        .target(name: "HTTP1", swiftSettings: hotPathSettings),
        // PURE: HTTP/2 frames, HPACK and the connection state machine. No I/O, no clock reads,
        // no Foundation. ProxyIO's HTTP2ClientConnection drives it.
        .target(name: "HTTP2", dependencies: ["HTTP1"], swiftSettings: hotPathSettings),
        // PURE: routes, pools, weights, sticky hashing, addresses. No I/O, no Foundation.
        .target(name: "Traffic", swiftSettings: hotPathSettings),
        // PURE: the exchange state machine and its Outcome. No I/O, no clock reads.
        .target(name: "ProxyCore", dependencies: ["HTTP1", "Traffic"], swiftSettings: hotPathSettings),
        // The thin I/O shell: sockets, epoll loops, the proxy session, TLS streams.
        .target(name: "ProxyIO", dependencies: ["CLinuxShim", "COpenSSL", "HTTP1", "HTTP2", "Traffic", "ProxyCore"], swiftSettings: hotPathSettings),
        // Control plane: route files, admin API, state, event log; drives ProxyIO. No Foundation
        // (neither here nor in the executable): its libraries alone would double the idle RSS.
        .target(name: "Control", dependencies: ["Traffic", "ProxyCore", "ProxyIO"], swiftSettings: swiftSettings),
        .executableTarget(name: "sluice", dependencies: ["ProxyIO", "Control", "Traffic", "HTTP1"], swiftSettings: swiftSettings),
        // Seeded simulated traffic for the rollout judge, shared by its bench and TrafficTests.
        .target(name: "JudgeSimulation", dependencies: ["Traffic"], path: "bench/judge/Simulation", swiftSettings: swiftSettings),
        // `swift run -c release judge-bench`: JUDGE.md's tables measured on the real judge.
        .executableTarget(name: "judge-bench", dependencies: ["JudgeSimulation", "Traffic"], path: "bench/judge/Bench", swiftSettings: swiftSettings),
        // `bash bench/store/run.sh`: the store client's round trips to a real etcd, and a watch's delay.
        .executableTarget(name: "store-bench", dependencies: ["ProxyIO", "Control"], path: "bench/store",
                          exclude: ["run.sh"], swiftSettings: swiftSettings),
        // `swift run -c release http2-bench`: the CPU cost of the pure HTTP/2 layer per request.
        .executableTarget(name: "http2-bench", dependencies: ["HTTP2"], path: "bench/http2", swiftSettings: swiftSettings),
        .testTarget(name: "HTTP1Tests", dependencies: ["HTTP1", "Traffic"], swiftSettings: swiftSettings),
        .testTarget(name: "HTTP2Tests", dependencies: ["HTTP2", "Traffic"], swiftSettings: swiftSettings),
        .testTarget(name: "ProxyCoreTests", dependencies: ["ProxyCore", "HTTP1", "Traffic"], swiftSettings: swiftSettings),
        .testTarget(name: "TrafficTests", dependencies: ["Traffic", "JudgeSimulation"], swiftSettings: swiftSettings),
        .testTarget(name: "ControlTests", dependencies: ["Control", "ProxyIO", "Traffic", "JudgeSimulation"], exclude: ["Fixtures"],
                    swiftSettings: swiftSettings),
    ]
)
