/// One route file, validated: which requests it takes, its two pools, and how traffic is split
/// and checked between them.
public struct Route: Hashable, Sendable {
    /// Unique across the route set; `[A-Za-z0-9._-]+`.
    public var name: String
    /// The hosts this route takes; nil takes any host.
    public var host: HostPattern?
    /// A plain byte prefix of the request target (like an nginx prefix location); starts with `/`.
    public var pathPrefix: [UInt8]
    public var blue: PoolConfig
    public var green: PoolConfig
    /// The pool that serves production traffic between rollouts.
    public var stable: Pool
    /// Green's share of the traffic; blue gets the rest.
    public var greenWeight: Weight
    /// Sticky routing; nil picks a pool per request by weight.
    public var sticky: StickyConfig?
    /// The override header; nil ignores any such header.
    public var override: OverrideConfig?
    /// Whether responses carry `X-Sluice-Pool` naming the pool that served them.
    public var exposePool: Bool
    public var health: HealthConfig
    public var analysis: AnalysisConfig
    public var timeouts: Timeouts
    public var retries: RetryPolicy
    /// URL that receives rollout events (steps, verdicts, reverts) as JSON.
    public var webhook: String?
    /// The protocols a client may switch to through this route (a 101 tunnel).
    public var upgrades: UpgradePolicy

    /// Builds a route; without `greenWeight`, all traffic goes to the stable pool.
    public init(
        name: String, host: HostPattern? = nil, pathPrefix: [UInt8] = Array("/".utf8),
        blue: PoolConfig, green: PoolConfig, stable: Pool = .blue, greenWeight: Weight? = nil,
        sticky: StickyConfig? = nil, override: OverrideConfig? = nil, exposePool: Bool = false,
        health: HealthConfig = HealthConfig(), analysis: AnalysisConfig = AnalysisConfig(),
        timeouts: Timeouts = Timeouts(), retries: RetryPolicy = RetryPolicy(), webhook: String? = nil,
        upgrades: UpgradePolicy = .websocket
    ) {
        self.name = name
        self.host = host
        self.pathPrefix = pathPrefix
        self.blue = blue
        self.green = green
        self.stable = stable
        self.greenWeight = greenWeight ?? (stable == .blue ? .zero : .full)
        self.sticky = sticky
        self.override = override
        self.exposePool = exposePool
        self.health = health
        self.analysis = analysis
        self.timeouts = timeouts
        self.retries = retries
        self.webhook = webhook
        self.upgrades = upgrades
    }

    /// The configuration of pool `p`.
    public func pool(_ p: Pool) -> PoolConfig {
        p == .blue ? blue : green
    }
}
