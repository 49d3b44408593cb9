"""The admin API answers as docs/openapi.json says: every documented path and method is
called on a running sluice (success and error cases), and each answer's status must be
documented for that operation and its JSON body must match the documented schema."""
from __future__ import annotations

import http.client
import json

import jsonschema
from referencing import Registry, Resource

from support import HOST, REPO, route

TOKEN = "openapi-token"
SPEC = json.loads((REPO / "docs" / "openapi.json").read_text())


def to_json_schema(schema):
    """OpenAPI 3.0 schemas -> JSON Schema: `nullable: true` becomes a null alternative."""
    if isinstance(schema, dict):
        out = {k: to_json_schema(v) for k, v in schema.items() if k != "nullable"}
        if schema.get("nullable"):
            out = {"anyOf": [out, {"type": "null"}]}
        return out
    if isinstance(schema, list):
        return [to_json_schema(v) for v in schema]
    return schema


ROOT = to_json_schema(SPEC)
REGISTRY = Registry().with_resource("urn:openapi", Resource.opaque(ROOT))


def resolve_response(op, status):
    responses = op["responses"]
    assert str(status) in responses, f"status {status} is not documented: {sorted(responses)}"
    r = responses[str(status)]
    if "$ref" in r:
        name = r["$ref"].split("/")[-1]
        r = SPEC["components"]["responses"][name]
    return r


def check(method, template, status, content_type, body):
    op = SPEC["paths"][template][method.lower()]
    r = resolve_response(op, status)
    if "application/json" in r.get("content", {}):
        assert content_type.startswith("application/json"), content_type
        schema = to_json_schema(r["content"]["application/json"]["schema"])
        schema = json.loads(json.dumps(schema).replace('"#/components', '"urn:openapi#/components'))
        jsonschema.validate(json.loads(body), schema, registry=REGISTRY)
    elif r.get("content"):
        assert any(content_type.startswith(kind) for kind in r["content"]), content_type


def call(sl, method, path, template, token=TOKEN, body=None):
    c = http.client.HTTPConnection(HOST, sl.admin_port, timeout=10)
    try:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        data = json.dumps(body).encode() if body is not None else None
        c.request(method, path, body=data, headers=headers)
        r = c.getresponse()
        raw = r.read()
        check(method, template, r.status, r.getheader("Content-Type") or "", raw)
        return r.status
    finally:
        c.close()


def test_every_documented_operation_answers_as_documented(clean_backends, sluice_factory):
    b = clean_backends
    sl = sluice_factory([route("api", [b["blue1"].addr], [b["green1"].addr], 10, host="api.test")],
                        env={"SLUICE_ADMIN_TOKEN": TOKEN})
    c = sl.http()
    c.request("GET", "/x", headers={"Host": "api.test"})
    c.getresponse().read()
    c.close()
    calls = [
        ("GET", "/health", "/health", None, None, 200),
        ("GET", "/health/live", "/health/live", None, None, 200),
        ("GET", "/health/ready", "/health/ready", None, None, 200),
        ("GET", "/metrics", "/metrics", None, None, 200),
        ("GET", "/ui", "/ui", None, None, 200),
        ("GET", "/ui/app.js", "/ui/app.js", None, None, 200),
        ("GET", "/ui/app.css", "/ui/app.css", None, None, 200),
        ("GET", "/routes", "/routes", TOKEN, None, 200),
        ("GET", "/routes/api/history", "/routes/{name}/history", TOKEN, None, 200),
        ("GET", "/routes/api/history?since=2", "/routes/{name}/history", TOKEN, None, 200),
        ("GET", "/routes/api/history?since=x", "/routes/{name}/history", TOKEN, None, 400),
        ("GET", "/routes/nope/history", "/routes/{name}/history", TOKEN, None, 404),
        ("GET", "/routes/api/history", "/routes/{name}/history", None, None, 401),
        ("GET", "/routes", "/routes", None, None, 401),
        ("GET", "/routes/api", "/routes/{name}", TOKEN, None, 200),
        ("GET", "/routes/nope", "/routes/{name}", TOKEN, None, 404),
        ("PUT", "/routes/api/weights", "/routes/{name}/weights", TOKEN, {"green": 25.5}, 200),
        ("PUT", "/routes/api/weights", "/routes/{name}/weights", TOKEN, {"green": 250}, 422),
        ("PUT", "/routes/nope/weights", "/routes/{name}/weights", TOKEN, {"green": 5}, 404),
        ("PUT", "/routes/api/weights", "/routes/{name}/weights", "wrong", {"green": 5}, 401),
        ("GET", "/routes/api/rollout", "/routes/{name}/rollout", TOKEN, None, 200),
        ("POST", "/routes/api/rollout/pause", "/routes/{name}/rollout/pause", TOKEN, None, 409),
        ("POST", "/routes/api/rollout", "/routes/{name}/rollout", TOKEN, {"plan": "sideways"}, 422),
        ("POST", "/routes/api/rollout", "/routes/{name}/rollout", TOKEN, {"plan": [10, 100], "holds": "1m", "dryRun": True}, 200),
        ("POST", "/routes/api/rollout", "/routes/{name}/rollout", TOKEN, {"plan": [10, 100], "holds": "1m"}, 200),
        ("POST", "/routes/api/rollout", "/routes/{name}/rollout", TOKEN, {"plan": "canary", "dryRun": True}, 200),
        ("POST", "/routes/api/rollout", "/routes/{name}/rollout", TOKEN, {"plan": "canary"}, 409),
        ("PUT", "/routes/api/weights", "/routes/{name}/weights", TOKEN, {"green": 20}, 409),
        ("GET", "/routes/api/rollout", "/routes/{name}/rollout", TOKEN, None, 200),
        ("POST", "/routes/api/rollout/pause", "/routes/{name}/rollout/pause", TOKEN, {"reason": "look"}, 200),
        ("POST", "/routes/api/rollout/pause", "/routes/{name}/rollout/pause", TOKEN, [1], 400),
        ("POST", "/routes/api/rollout/resume", "/routes/{name}/rollout/resume", TOKEN, None, 200),
        ("POST", "/routes/api/rollback", "/routes/{name}/rollback", TOKEN, None, 409),
        ("POST", "/routes/api/rollout/promote", "/routes/{name}/rollout/promote", TOKEN, None, 200),
        ("GET", "/routes/api", "/routes/{name}", TOKEN, None, 200),
        ("POST", "/routes/api/rollback", "/routes/{name}/rollback", TOKEN, None, 200),
        ("POST", "/routes/api/rollout/abort", "/routes/{name}/rollout/abort", TOKEN, None, 409),
        ("POST", "/routes/api/rollout", "/routes/{name}/rollout", TOKEN, {"plan": [10, 100], "holds": "1m"}, 200),
        ("POST", "/routes/api/rollout/abort", "/routes/{name}/rollout/abort", TOKEN, None, 200),
        ("POST", "/routes/api/rollout/resume", "/routes/{name}/rollout/resume", TOKEN, None, 409),
        ("POST", "/routes/api/rollout/promote", "/routes/{name}/rollout/promote", TOKEN, None, 409),
        ("POST", "/routes/nope/rollout/abort", "/routes/{name}/rollout/abort", TOKEN, None, 404),
        ("POST", "/reload", "/reload", TOKEN, None, 200),
        ("GET", "/events?since=0", "/events", TOKEN, None, 200),
        ("GET", "/events?since=-4", "/events", TOKEN, None, 400),
        ("GET", "/events?since=1&limit=2&type=weights&route=api", "/events", TOKEN, None, 200),
        ("GET", "/events?type=nonsense", "/events", TOKEN, None, 400),
        ("GET", "/fleet", "/fleet", TOKEN, None, 404),
        ("GET", "/fleet", "/fleet", None, None, 401),
    ]
    for method, path, template, token, body, expected in calls:
        assert call(sl, method, path, template, token, body) == expected, (method, path)
    documented = {(m.upper(), p) for p, ops in SPEC["paths"].items() for m in ops}
    exercised = {(m, t) for m, _, t, *_ in calls}
    assert documented == exercised, documented ^ exercised


def test_forbidden_without_token_is_documented(clean_backends, sluice_factory):
    b = clean_backends
    sl = sluice_factory([route("api", [b["blue1"].addr], [b["green1"].addr], 10)], env={"SLUICE_ADMIN_TOKEN": ""})
    assert call(sl, "GET", "/routes", "/routes", token="x") == 403
    assert call(sl, "POST", "/reload", "/reload", token=None) == 403


def test_every_documented_path_answers_a_wrong_method_with_405_and_allow(clean_backends, sluice_factory):
    """Each path of docs/openapi.json, asked with each method it does not document, answers
    405 with `Allow` naming exactly the documented ones and an Error body; and 401 carries
    `WWW-Authenticate: Bearer`, as documented."""
    b = clean_backends
    sl = sluice_factory([route("api", [b["blue1"].addr], [b["green1"].addr], 10)], env={"SLUICE_ADMIN_TOKEN": TOKEN})
    for template, ops in SPEC["paths"].items():
        path = template.replace("{name}", "api")
        documented = {m.upper() for m in ops}
        for method in {"GET", "PUT", "POST", "DELETE", "PATCH"} - documented:
            c = http.client.HTTPConnection(HOST, sl.admin_port, timeout=10)
            try:
                c.request(method, path, headers={"Authorization": f"Bearer {TOKEN}"})
                r = c.getresponse()
                raw = r.read()
                assert r.status == 405, (method, path, r.status)
                assert {m.strip() for m in r.getheader("Allow", "").split(",")} == documented, (method, path)
                for op in ops.values():
                    assert "Allow" in resolve_response(op, 405)["headers"]
                check(next(iter(ops)).upper(), template, 405, r.getheader("Content-Type") or "", raw)
            finally:
                c.close()
    c = http.client.HTTPConnection(HOST, sl.admin_port, timeout=10)
    try:
        c.request("GET", "/routes")
        r = c.getresponse()
        r.read()
        assert r.status == 401 and r.getheader("WWW-Authenticate", "").startswith("Bearer")
        assert "WWW-Authenticate" in resolve_response(SPEC["paths"]["/routes"]["get"], 401)["headers"]
    finally:
        c.close()
