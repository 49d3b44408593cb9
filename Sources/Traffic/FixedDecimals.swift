/// `value` as text with exactly `decimals` digits after the point, rounded half away from
/// zero: `formatFixed(0.125, decimals: 2)` is `"0.13"`, `formatFixed(3, decimals: 1)` is
/// `"3.0"`. Used wherever Sluice prints figures for people (messages, `sluice ctl`, the demo);
/// NaN, infinities and values too large for the digits print as Swift writes them.
public func formatFixed(_ value: Double, decimals: Int) -> String {
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let magnitude = (abs(value) * scale).rounded()
    guard magnitude.isFinite, magnitude < 9e18 else { return "\(value)" }
    let scaled = Int(magnitude), whole = Int(scale)
    let fraction = String(scaled % whole + whole).dropFirst()
    return (value < 0 && scaled > 0 ? "-" : "") + "\(scaled / whole)" + (decimals > 0 ? "." + fraction : "")
}
