import Control

/// `sluice ctl fleet`, and the fleet lines of `ctl status`.
extension CtlCommand {
    /// Prints every instance of the fleet, the leader and the store (`GET /fleet`).
    static func showFleet(_ client: AdminClient, json: Bool) throws(AdminClient.Failure) -> Int32 {
        let response = try client.send("GET", "/fleet")
        return finish(response, client, json: json, expect: ["instances", "store"]) { printFleet($0) }
    }

    /// The fleet lines under the status table; nothing for an instance outside a fleet.
    static func printFleetIfAny(_ client: AdminClient) {
        guard let response = try? client.send("GET", "/fleet"), response.status == 200, let body = response.json else { return }
        print("")
        printFleet(body)
    }

    /// One line for the store, one per instance: whether it applied what this instance has
    /// (its applied revision against the newest), what it serves and when it was last seen.
    private static func printFleet(_ body: JSONValue) {
        let store = body["store"]
        let reachable = store?["reachable"]?.boolValue == true
        print("fleet: leader \(text(body["leader"], or: "none")), store \(reachable ? "reachable" : "UNREACHABLE since \(text(store?["unreachableSince"]))")"
              + " (\((store?["endpoints"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ",")), prefix \(text(store?["prefix"])))")
        let instances = body["instances"]?.arrayValue ?? []
        let newest = instances.compactMap { $0["appliedRevision"]?.numberValue }.max() ?? 0
        print(padded("INSTANCE", to: 22) + padded("APPLIED", to: 10) + padded("REVISION", to: 10) + padded("LAST SEEN", to: 26) + "GREEN% BY ROUTE")
        for i in instances {
            let name = text(i["name"]) + (i["name"] == body["leader"] ? " (leader)" : "") + (i["self"]?.boolValue == true ? " *" : "")
            let revision = i["appliedRevision"]?.numberValue ?? 0
            let weights = (i["weights"]?.objectValue ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\(text($0.value))" }.joined(separator: " ")
            print(padded(name, to: 22) + padded(revision >= newest ? "latest" : "behind", to: 10) + padded(text(i["appliedRevision"]), to: 10)
                  + padded(text(i["lastSeen"]), to: 26) + weights)
        }
        print("(* this instance; APPLIED: whether its workers run the newest revision any instance reported)")
    }
}
