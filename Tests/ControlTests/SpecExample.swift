/// The route file of SPEC.md section 3, verbatim: the base every loader test edits.
let specExample = """
{
  "name": "api",
  "match": { "host": "api.example.com", "pathPrefix": "/" },
  "pools": {
    "blue":  { "backends": ["127.0.0.1:8001"] },
    "green": { "backends": ["127.0.0.1:8002", "127.0.0.1:8003"] }
  },
  "stable": "blue",
  "weights": { "green": 0 },
  "health":  { "path": "/health", "interval": "2s", "timeout": "1s", "unhealthyAfter": 3, "healthyAfter": 2 },
  "sticky":  { "by": "cookie", "name": "sluice_id" },
  "override": { "header": "X-Sluice-Pool", "allowFrom": ["127.0.0.0/8", "10.0.0.0/8"] },
  "analysis": { "errorRate": { "maxIncrease": 0.01, "maxRatio": 2.0 },
                "latency":   { "quantile": 0.95, "maxIncrease": "50ms", "maxRatio": 1.25 },
                "minRequests": 200 },
  "timeouts": { "connect": "1s", "firstByte": "30s", "idle": "60s" },
  "retries":  { "attempts": 2, "on": ["connect-failure", "reset-before-response"] },
  "webhook":  "http://127.0.0.1:9000/hooks/sluice"
}
"""

/// `specExample` with each `(old, new)` replacement applied; a replacement whose `old` text is
/// missing is a mistake in the test and stops it.
func editedExample(_ edits: [(String, String)]) -> String {
    edits.reduce(specExample) { text, edit in
        precondition(text.contains(edit.0), "edit target not found: \(edit.0)")
        return text.replacingOccurrences(of: edit.0, with: edit.1)
    }
}
