import Testing
import Traffic

struct PoolTests {
    @Test func namesAndOther() {
        #expect(Pool.blue.name == "blue")
        #expect(Pool.green.name == "green")
        #expect(Pool.blue.other == .green)
        #expect(Pool.green.other == .blue)
    }

    @Test(arguments: [("blue", Pool.blue), ("BLUE", .blue), ("Green", .green), ("gReEn", .green)])
    func parsesAnyCase(text: String, pool: Pool) {
        #expect(Pool(name: text) == pool)
        #expect(withBytes(text) { Pool(name: $0) } == pool)
    }

    @Test(arguments: ["", "blu", "blue ", " green", "greens", "red", "bluE\u{0}"])
    func rejectsOthers(text: String) {
        #expect(Pool(name: text) == nil)
        #expect(withBytes(text) { Pool(name: $0) } == nil)
    }
}
