/// The request methods Sluice forwards: those of IANA's HTTP Method Registry (RFC 9110,
/// WebDAV and its extensions, PATCH, QUERY) and the few that HTTP parsers such as llhttp
/// also know (M-SEARCH, NOTIFY, SUBSCRIBE, UNSUBSCRIBE, PURGE, SOURCE). Any other token — a
/// typo such as `MKCOLA`, an RTSP method such as `ANNOUNCE` — is answered 501 (RFC 9110 9.1:
/// a server SHOULD answer 501 to a method it does not recognise), so that what reaches a
/// backend is a method every parser on the way reads the same way. Methods are
/// case-sensitive: `get` is not `GET`. `PRI` (HTTP/2's preface) is not one of them.
enum RequestMethod {
    /// Whether `buf[range]` is one of the methods above. Runs once per request head, after the
    /// method was read as a token; a length switch keeps GET and POST to one comparison.
    static func isKnown(_ buf: UnsafeRawBufferPointer, _ range: Range<Int>) -> Bool {
        switch range.count {
        case 3: return buf.equals(range, "GET") || buf.equals(range, "PUT") || buf.equals(range, "ACL")
        case 4:
            return buf.equals(range, "POST") || buf.equals(range, "HEAD") || buf.equals(range, "COPY")
                || buf.equals(range, "LOCK") || buf.equals(range, "MOVE") || buf.equals(range, "BIND")
                || buf.equals(range, "LINK")
        case 5:
            return buf.equals(range, "PATCH") || buf.equals(range, "TRACE") || buf.equals(range, "MKCOL")
                || buf.equals(range, "QUERY") || buf.equals(range, "PURGE") || buf.equals(range, "LABEL")
                || buf.equals(range, "MERGE")
        case 6:
            return buf.equals(range, "DELETE") || buf.equals(range, "REPORT") || buf.equals(range, "SEARCH")
                || buf.equals(range, "UNLOCK") || buf.equals(range, "UPDATE") || buf.equals(range, "REBIND")
                || buf.equals(range, "UNBIND") || buf.equals(range, "UNLINK") || buf.equals(range, "SOURCE")
                || buf.equals(range, "NOTIFY")
        case 7: return buf.equals(range, "OPTIONS") || buf.equals(range, "CONNECT") || buf.equals(range, "CHECKIN")
        case 8: return buf.equals(range, "PROPFIND") || buf.equals(range, "CHECKOUT") || buf.equals(range, "M-SEARCH")
        case 9: return buf.equals(range, "PROPPATCH") || buf.equals(range, "SUBSCRIBE")
        case 10:
            return buf.equals(range, "MKCALENDAR") || buf.equals(range, "MKACTIVITY")
                || buf.equals(range, "ORDERPATCH") || buf.equals(range, "UNCHECKOUT")
        case 11: return buf.equals(range, "MKWORKSPACE") || buf.equals(range, "UNSUBSCRIBE")
        case 13: return buf.equals(range, "MKREDIRECTREF")
        case 15: return buf.equals(range, "VERSION-CONTROL")
        case 16: return buf.equals(range, "BASELINE-CONTROL")
        case 17: return buf.equals(range, "UPDATEREDIRECTREF")
        default: return false
        }
    }
}
