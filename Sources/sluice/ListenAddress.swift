import ProxyIO
import Traffic

/// Parses a listen address: `HOST:PORT` with an IP literal host (`0.0.0.0:8080`,
/// `[::1]:8080`) or `localhost` (127.0.0.1), or `:PORT` for all IPv4 addresses.
func parseListenAddress(_ text: String) -> SocketAddress? {
    let full = text.hasPrefix(":") ? "0.0.0.0" + text : text
    guard let (name, port) = BackendAddress.parseHostPort(full) else { return nil }
    let host = name.lowercased() == "localhost" ? "127.0.0.1" : name
    let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
    guard let ip = IPAddress(parsing: bare) else { return nil }
    return SocketAddress(ip: ip, port: port)
}

/// `text` without a leading `http://` or `https://` and trailing `/`: an address given as a URL.
func withoutScheme(_ text: String) -> String {
    var rest = Substring(text)
    if rest.hasPrefix("http://") { rest = rest.dropFirst(7) } else if rest.hasPrefix("https://") { rest = rest.dropFirst(8) }
    while rest.hasSuffix("/") { rest = rest.dropLast() }
    return String(rest)
}
