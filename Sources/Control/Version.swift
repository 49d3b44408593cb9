/// Sluice's version: `sluice version`, and the `sluice_build_info` metric.
public let sluiceVersion = "0.1.0"
