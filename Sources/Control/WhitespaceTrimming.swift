extension StringProtocol {
    /// The text without the whitespace (spaces, tabs, line breaks) at its start and end:
    /// command-line lists (`5, 25`), header values, the first line of a file.
    public func trimmingWhitespace() -> SubSequence {
        let start = firstIndex { !$0.isWhitespace } ?? endIndex
        let end = lastIndex { !$0.isWhitespace }.map(index(after:)) ?? start
        return self[start..<end]
    }
}
