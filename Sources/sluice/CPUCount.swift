import Control
import Glibc

/// The number of CPUs this process may use: the online cores, capped by the cgroup v2
/// CPU quota (`/sys/fs/cgroup/cpu.max`) when one is set.
func usableCPUCount() -> Int {
    let online = max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    guard let bytes = try? FileSystem.read("/sys/fs/cgroup/cpu.max") else { return online }
    let parts = String(decoding: bytes, as: UTF8.self).split(separator: " ")
    guard parts.count == 2, let quota = Double(parts[0]), let period = Double(parts[1].trimmingWhitespace()), period > 0 else {
        return online
    }
    return max(1, min(online, Int((quota / period).rounded(.up))))
}
