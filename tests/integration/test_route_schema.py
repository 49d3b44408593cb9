"""docs/route.schema.json, the JSON Schema of route files, agrees with docs/routes.md (every
key it knows is documented there) and with the decoder (`sluice check`): the documented
example and the shipped route files pass both; an unknown key anywhere, or a value outside
an enumeration or range, fails both."""
from __future__ import annotations

import copy
import json
import re
import subprocess

import jsonschema
import pytest

from support import REPO, SLUICE_BIN

SCHEMA = json.loads((REPO / "docs" / "route.schema.json").read_text())
DOC = (REPO / "docs" / "routes.md").read_text()
EXAMPLE = json.loads(re.search(r"```json\n(.*?)```", DOC, re.S).group(1))


def leaves(node, path=()):
    """Every key path of the schema's objects: ("match", "host"), ..."""
    props = node.get("properties")
    if not props:
        yield path
        return
    for key, sub in props.items():
        yield from leaves(sub, path + (key,))


def objects(node, path=()):
    """The key path of every object the schema closes (additionalProperties: false)."""
    if node.get("additionalProperties") is False:
        yield path
    for key, sub in node.get("properties", {}).items():
        yield from objects(sub, path + (key,))


def check(tmp_path, body) -> subprocess.CompletedProcess:
    d = tmp_path / "routes"
    d.mkdir(exist_ok=True)
    f = d / "r.json"
    f.write_text(json.dumps(body))
    return subprocess.run([str(SLUICE_BIN), "check", str(f), "--state", str(tmp_path / "no-state")],
                          capture_output=True, text=True, timeout=30)


def valid(body) -> bool:
    return jsonschema.Draft202012Validator(SCHEMA).is_valid(body)


def test_every_schema_key_is_documented():
    documented = {w for t in re.findall(r"`([^`]+)`", DOC) for w in re.split(r"[^A-Za-z]+", t)}
    assert [".".join(p) for p in leaves(SCHEMA) if p[-1] not in documented] == []
    for key in SCHEMA["properties"]:
        assert f"`{key}" in DOC, key


def test_the_documented_example_and_shipped_files_pass_both(tmp_path):
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert valid(EXAMPLE)
    r = check(tmp_path, EXAMPLE)
    assert r.returncode == 0, r.stdout
    shipped = list((REPO / "routes").glob("*.json")) + list((REPO / "examples").glob("**/routes/*.json"))
    assert shipped
    for f in shipped:
        assert valid(json.loads(f.read_text())), f




@pytest.mark.parametrize("path", list(objects(SCHEMA)), ids=lambda p: ".".join(p) or "(root)")
def test_an_unknown_key_fails_both(tmp_path, path):
    body = copy.deepcopy(EXAMPLE)
    node = body
    for key in path:
        node = node.setdefault(key, {})
    node["surplus"] = 1
    assert not valid(body)
    r = check(tmp_path, body)
    assert r.returncode == 1 and "surplus" in r.stdout, r.stdout


@pytest.mark.parametrize("path,value", [
    (("stable",), "red"), (("sticky", "by"), "moon"), (("retries", "attempts"), 11),
    (("retries", "on"), ["always"]), (("weights", "green"), 101), (("analysis", "latency", "quantile"), 0.2),
    (("health", "unhealthyAfter"), 0), (("name",), "a b"), (("timeouts", "connect"), "5 parsecs"),
    (("analysis", "errorRate", "maxRatio"), 0.5), (("exposePool",), "yes"),
])
def test_an_invalid_value_fails_both(tmp_path, path, value):
    body = copy.deepcopy(EXAMPLE)
    node = body
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    assert not valid(body), (path, value)
    r = check(tmp_path, body)
    assert r.returncode == 1 and ".".join(path) in r.stdout, r.stdout
