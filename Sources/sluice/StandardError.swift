import Control

/// Writes `text` to stderr at once (unbuffered, unlike `print`): the commands' errors and
/// refusals. A failed write is ignored; there is nowhere left to report it.
func printError(_ text: String) {
    try? FileSystem.write(2, Array(text.utf8))
}
