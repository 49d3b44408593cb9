extension MessageHead {
    /// The value range of the first field called `name` (any case), nil when absent or
    /// `name` is empty.
    public func value(_ buf: UnsafeRawBufferPointer, named name: [UInt8]) -> Range<Int>? {
        guard !name.isEmpty else { return nil }
        for field in fields where buf.equalsIgnoringCase(field.name, name) {
            return field.value
        }
        return nil
    }

    /// The value of cookie `name` (exact case) in the Cookie fields (`a=1; name=value; b=2`);
    /// nil when absent or empty.
    public func cookie(_ buf: UnsafeRawBufferPointer, named name: [UInt8]) -> Range<Int>? {
        for field in fields where field.kind == .cookie {
            var i = field.value.lowerBound
            let end = field.value.upperBound
            while i < end {
                while i < end && (buf[i] == 0x20 || buf[i] == UInt8(ascii: ";")) { i += 1 }
                let pairStart = i
                while i < end && buf[i] != UInt8(ascii: ";") { i += 1 }
                let pair = pairStart..<i
                if pair.count > name.count && buf[pairStart + name.count] == UInt8(ascii: "=") {
                    var equal = true
                    for k in 0..<name.count where buf[pairStart + k] != name[k] { equal = false; break }
                    if equal {
                        let value = (pairStart + name.count + 1)..<i
                        if !value.isEmpty { return value }
                    }
                }
            }
        }
        return nil
    }
}
