/// Parses a duration written with units, as in route files and admin requests: `"250ms"`, `"2s"`,
/// `"5m"`, `"1h"`, decimals (`"1.5s"`) and sums (`"1m30s"`), and returns milliseconds.
/// Returns nil for empty text, a missing or unknown unit, a sign, spaces, a value that is not a
/// whole number of milliseconds, or one that overflows `Int`.
public func parseDuration(_ text: String) -> Int? {
    let bytes = Array(text.utf8)
    guard !bytes.isEmpty else { return nil }
    var total = 0
    var i = 0
    func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
    func isLetter(_ byte: UInt8) -> Bool { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) }
    while i < bytes.count {
        // number := digits ["." digits], kept as an integer and a count of decimals
        guard isDigit(bytes[i]) else { return nil }
        var mantissa = 0, decimals = 0, sawDot = false
        while i < bytes.count, isDigit(bytes[i]) || (bytes[i] == UInt8(ascii: ".") && !sawDot) {
            if bytes[i] == UInt8(ascii: ".") {
                sawDot = true
            } else {
                let (times10, overflow1) = mantissa.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = times10.addingReportingOverflow(Int(bytes[i] - UInt8(ascii: "0")))
                guard !overflow1, !overflow2 else { return nil }
                mantissa = sum
                if sawDot { decimals += 1 }
            }
            i += 1
        }
        guard !sawDot || decimals > 0 else { return nil }
        let unitStart = i
        while i < bytes.count, isLetter(bytes[i]) { i += 1 }
        let unitMs: Int
        switch String(decoding: bytes[unitStart..<i], as: UTF8.self) {
        case "ms": unitMs = 1
        case "s": unitMs = 1_000
        case "m": unitMs = 60_000
        case "h": unitMs = 3_600_000
        default: return nil
        }
        var divisor = 1
        for _ in 0..<decimals {
            let (next, overflow) = divisor.multipliedReportingOverflow(by: 10)
            guard !overflow else { return nil }
            divisor = next
        }
        let (scaled, overflow1) = mantissa.multipliedReportingOverflow(by: unitMs)
        guard !overflow1, scaled % divisor == 0 else { return nil }
        let (sum, overflow2) = total.addingReportingOverflow(scaled / divisor)
        guard !overflow2 else { return nil }
        total = sum
    }
    return total
}

/// Formats milliseconds the way `parseDuration` reads them, largest units first and zero parts
/// left out: 250 → `"250ms"`, 1500 → `"1.5s"`, 90000 → `"1m30s"`, 3600000 → `"1h"`, 0 → `"0s"`.
/// A negative value (an overdue deadline) prints as `"0s"`.
public func formatDuration(ms: Int) -> String {
    guard ms > 0 else { return "0s" }
    let hours = ms / 3_600_000, minutes = ms / 60_000 % 60, seconds = ms / 1_000 % 60, millis = ms % 1_000
    if ms < 1_000 {
        return "\(millis)ms"
    }
    var text = ""
    if hours > 0 { text += "\(hours)h" }
    if minutes > 0 { text += "\(minutes)m" }
    if seconds > 0 || millis > 0 {
        text += "\(seconds)"
        if millis > 0 {
            var fraction = String(millis + 1_000).dropFirst()
            while fraction.hasSuffix("0") { fraction = fraction.dropLast() }
            text += "." + fraction
        }
        text += "s"
    }
    return text
}
