public import Traffic

/// One instance's evidence as it publishes it to the store (`evidence/<name>`, once a
/// second, under its lease): its cumulative counters per route since it started, and the
/// epoch (its lease ID, as a string: it exceeds 2^53) that tells one start from the next.
/// Each pool's counters have the state file's shape (`RolloutRecord`).
public enum EvidenceRecord {
    public static func encode(_ reading: FleetEvidence.Reading) -> JSONValue {
        .object([
            "instance": .string(reading.instance),
            "epoch": .string(String(reading.epoch)),
            "routes": .object(reading.routes.mapValues { e in
                ["blue": RolloutRecord.pool(e.blue), "green": RolloutRecord.pool(e.green)]
            }),
        ])
    }

    /// A published record read back; nil when anything is missing or out of range.
    public static func decode(_ value: JSONValue) -> FleetEvidence.Reading? {
        guard let instance = value["instance"]?.stringValue, let epochText = value["epoch"]?.stringValue,
              let epoch = Int64(epochText), let routes = value["routes"]?.objectValue
        else { return nil }
        var evidence: [String: SecondEvidence] = [:]
        for (name, pools) in routes {
            guard let blue = pools["blue"]?.objectValue.flatMap(RolloutRecord.pool),
                  let green = pools["green"]?.objectValue.flatMap(RolloutRecord.pool)
            else { return nil }
            evidence[name] = SecondEvidence(blue: blue, green: green)
        }
        return FleetEvidence.Reading(instance: instance, epoch: epoch, routes: evidence)
    }
}
