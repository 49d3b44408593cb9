import Testing
@testable import Control

struct EtcdRequestTests {
    @Test func base64MatchesRFC4648() {
        let vectors = ["": "", "f": "Zg==", "fo": "Zm8=", "foo": "Zm9v", "foob": "Zm9vYg==", "fooba": "Zm9vYmE=", "foobar": "Zm9vYmFy"]
        for (plain, encoded) in vectors {
            #expect(Base64.encode(Array(plain.utf8)) == encoded)
            #expect(Base64.decode(encoded) == Array(plain.utf8))
        }
        let all = (0...255).map { UInt8($0) }
        for n in 0...all.count { #expect(Base64.decode(Base64.encode(Array(all[..<n]))) == Array(all[..<n])) }
        #expect(Base64.encode(Array("/sluice/weights/api".utf8)) == "L3NsdWljZS93ZWlnaHRzL2FwaQ==")
    }

    @Test func base64RefusesWhatIsNotBase64() {
        for bad in ["Zg=", "Z===x", "Zm9v!", "Zg==Zg==", "=Zg=", "Zm 9v"] {
            #expect(Base64.decode(bad) == nil, "\(bad)")
        }
    }

    @Test func prefixEndIsTheNextKeyAfterThePrefix() {
        #expect(EtcdRequest.prefixEnd(Array("/sluice/".utf8)) == Array("/sluice0".utf8))
        #expect(EtcdRequest.prefixEnd([0x61, 0xFF, 0xFF]) == [0x62])
        #expect(EtcdRequest.prefixEnd([0xFF]) == [0])
    }

    @Test func requestsWriteInt64sAsStringsAndLeaveZeroesOut() {
        let key = Array("/sluice/leader/1".utf8)
        let k = Base64.encode(key)
        #expect(EtcdRequest.range(key) == EtcdRequest(path: "/v3/kv/range", body: ["key": .string(k)]))
        #expect(EtcdRequest.range(Array("/a/".utf8), end: Array("/a0".utf8), maxCreateRevision: 41, sortByCreate: true,
                                  descending: true, limit: 1).body
                == ["key": "L2Ev", "range_end": "L2Ew", "max_create_revision": "41", "sort_target": "CREATE",
                    "sort_order": "DESCEND", "limit": "1"])
        #expect(EtcdRequest.put(key, [1], lease: 4_390_625_091_247_619_594).body
                == ["key": .string(k), "value": "AQ==", "lease": "4390625091247619594"])
        #expect(EtcdRequest.leaseGrant(ttlSeconds: 5).body == ["TTL": "5"])
        #expect(EtcdRequest.leaseKeepAlive(id: 4_390_625_091_247_619_594) == EtcdRequest(path: "/v3/lease/keepalive",
                                                                                        body: ["ID": "4390625091247619594"]))
        #expect(EtcdRequest.watch(key, startRevision: 13, prevKV: true).body
                == ["create_request": ["key": .string(k), "start_revision": "13", "prev_kv": true]])
    }

    @Test func aCampaignTxnComparesTheCreateRevision() {
        let key = Array("/sluice/leader/7".utf8)
        let txn = EtcdRequest.txn([EtcdCompare(key: key, .createRevision(0))], success: [.put(key: key, value: [0x61], lease: 7)],
                                  failure: [.range(key: key, end: nil)])
        let k = JSONValue.string(Base64.encode(key))
        #expect(txn.path == "/v3/kv/txn")
        #expect(txn.body == ["compare": [["key": k, "target": "CREATE", "result": "EQUAL", "create_revision": "0"]],
                             "success": [["request_put": ["key": k, "value": "YQ==", "lease": "7"]]],
                             "failure": [["request_range": ["key": k]]]])
        #expect(String(decoding: txn.bodyBytes, as: UTF8.self).hasPrefix(#"{"compare":[{"create_revision":"0","key":"#))
    }

    @Test func everyComparisonTargetAndResultIsWrittenAsTheGatewayReadsIt() {
        let key = Array("/k".utf8)
        let k = JSONValue.string(Base64.encode(key))
        let cases: [(EtcdCompare, JSONValue)] = [
            (EtcdCompare(key: key, .modRevision(12), .less), ["key": k, "target": "MOD", "result": "LESS", "mod_revision": "12"]),
            (EtcdCompare(key: key, .version(3), .greater), ["key": k, "target": "VERSION", "result": "GREATER", "version": "3"]),
            (EtcdCompare(key: key, .value([0x61]), .notEqual), ["key": k, "target": "VALUE", "result": "NOT_EQUAL", "value": "YQ=="]),
        ]
        for (compare, json) in cases { #expect(compare.json == json) }
        #expect(EtcdOperation.deleteRange(key: key, end: [0x2F, 0x6C]).json == ["request_delete_range": ["key": k, "range_end": "L2w="]])
    }
}
