import Testing
import Traffic

struct DurationTextTests {
    @Test(arguments: [
        ("250ms", 250), ("2s", 2_000), ("5m", 300_000), ("1h", 3_600_000), ("0s", 0), ("0ms", 0),
        ("1.5s", 1_500), ("0.25s", 250), ("1.5m", 90_000), ("0.001s", 1), ("1m30s", 90_000),
        ("1h2m3s4ms", 3_723_004), ("007s", 7_000), ("1.0h", 3_600_000),
    ])
    func parses(text: String, ms: Int) {
        #expect(parseDuration(text) == ms)
    }

    @Test(arguments: ["", "s", "5", "-1s", "+1s", "1 s", " 1s", "1s ", "1S", "1d", "1sec", "1.s", ".5s", "1..5s", "1.5.2s",
                      "0.0001s", "1.5ms", "1s5", "99999999999999999999s", "9223372036854775807h", "1e3ms"])
    func rejects(text: String) {
        #expect(parseDuration(text) == nil)
    }

    @Test(arguments: [
        (0, "0s"), (1, "1ms"), (250, "250ms"), (999, "999ms"), (1_000, "1s"), (1_500, "1.5s"), (1_050, "1.05s"),
        (1_005, "1.005s"), (90_000, "1m30s"), (60_000, "1m"), (3_600_000, "1h"), (5_400_000, "1h30m"),
        (3_723_500, "1h2m3.5s"), (3_600_001, "1h0.001s"), (-5, "0s"),
    ])
    func formats(ms: Int, text: String) {
        #expect(formatDuration(ms: ms) == text)
    }

    @Test func formatThenParseRoundTrips() {
        for ms in [1, 999, 1_000, 1_001, 59_999, 60_000, 61_234, 3_599_999, 86_400_000, 123_456_789] {
            #expect(parseDuration(formatDuration(ms: ms)) == ms)
        }
    }
}
