"""The Dockerfile and the compose example, checked without a Docker engine: they parse,
every file they copy or mount exists, the image builds the same `sluice` product the
tests run, and the settings they pass are options Sluice knows."""
from __future__ import annotations

import fnmatch
import json
import re
import subprocess
from pathlib import Path

import yaml

from support import REPO, SLUICE_BIN, free_port

COMPOSE_DIR = REPO / "examples" / "compose"


def instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) per Dockerfile instruction: comments dropped, backslash
    continuations joined."""
    out: list[tuple[str, str]] = []
    pending = ""
    for line in path.read_text().splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        word, _, rest = full.partition(" ")
        out.append((word.upper(), rest.strip()))
    assert not pending, f"{path}: dangling line continuation"
    return out


def stages(steps: list[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    result: list[list[tuple[str, str]]] = []
    for word, rest in steps:
        if word == "FROM":
            result.append([])
        if result:
            result[-1].append((word, rest))
    return result


def dockerignored(relative: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatch(relative, p.rstrip("/")) or relative.startswith(p.rstrip("/") + "/")
               for p in patterns)


def copy_sources(steps: list[tuple[str, str]]) -> list[str]:
    """The context paths of every COPY without --from."""
    sources = []
    for word, rest in steps:
        if word != "COPY" or "--from=" in rest:
            continue
        parts = [p for p in rest.split() if not p.startswith("--")]
        sources += parts[:-1]
    return sources


def test_dockerfile_stages_copies_and_runtime():
    steps = instructions(REPO / "Dockerfile")
    build, runtime = stages(steps)
    assert re.fullmatch(r"swift:\$\{SWIFT_VERSION\}-bookworm AS build", build[0][1]), build[0]
    assert dict(steps)["ARG"].startswith("SWIFT_VERSION=6.")
    assert runtime[0][1] == "debian:bookworm-slim"
    # Every copied path exists in the build context and is not excluded by .dockerignore.
    ignore = [l.strip() for l in (REPO / ".dockerignore").read_text().splitlines()
              if l.strip() and not l.startswith("#")]
    for source in copy_sources(steps):
        relative = source.rstrip("/").removeprefix("./")
        assert (REPO / relative).exists(), f"COPY {source}: no such file in the repository"
        assert not dockerignored(relative, ignore), f"COPY {source} is excluded by .dockerignore"
    # The runtime installs only libssl3 and ca-certificates, runs as a non-root user, with a
    # health check on the admin API, volumes for routes, certificates and state, and
    # Sluice itself as PID 1 (exec form).
    run = " ".join(rest for word, rest in runtime if word == "RUN")
    installed = re.search(r"apt-get install -y --no-install-recommends ([^&]+)", run).group(1).split()
    assert installed == ["libssl3", "ca-certificates"]
    user = [rest for word, rest in runtime if word == "USER"]
    assert user and user[-1] not in ("root", "0")
    health = [rest for word, rest in runtime if word == "HEALTHCHECK"]
    assert health and "/health/ready" in health[0] and "9901" in health[0]
    volumes = json.loads([rest for word, rest in runtime if word == "VOLUME"][0])
    assert {Path(v).name for v in volumes} == {"routes", "certs", "state"}
    entry = json.loads([rest for word, rest in runtime if word == "ENTRYPOINT"][0])
    assert entry == ["/usr/local/bin/sluice"]
    assert json.loads([rest for word, rest in runtime if word == "CMD"][0]) == ["serve"]
    env = " ".join(rest for word, rest in runtime if word == "ENV")
    for directory in volumes:
        assert directory in env or directory.endswith("certs"), f"{directory} is a volume Sluice does not use"


def test_dockerfile_builds_the_sluice_product_with_every_target_present():
    steps = instructions(REPO / "Dockerfile")
    build = stages(steps)[0]
    command = " ".join(rest for word, rest in build if word == "RUN" and "swift build" in rest)
    assert re.search(r"swift build -c release --product sluice\b", command), command
    assert "/out/sluice" in command
    manifest = (REPO / "Package.swift").read_text()
    assert '.executable(name: "sluice", targets: ["sluice"])' in manifest
    # SwiftPM needs every target's directory, not only the product's: each one must be
    # under a path the build stage copies.
    copied = [s.rstrip("/").removeprefix("./") for s in copy_sources(build)]
    for kind, name, path in re.findall(r'\.(target|executableTarget|testTarget|systemLibrary)\(name: "([^"]+)"(?:[^)]*?path: "([^"]+)")?',
                                       manifest):
        directory = path or (f"Tests/{name}" if kind == "testTarget" else f"Sources/{name}")
        assert (REPO / directory).is_dir(), directory
        assert any(directory == c or directory.startswith(c + "/") for c in copied), \
            f"target {name} ({directory}) is not copied into the build stage"


def test_backend_dockerfile_copies_existing_files_and_serves_the_routed_port():
    path = REPO / "examples" / "fastapi" / "Dockerfile"
    steps = instructions(path)
    for source in copy_sources(steps):
        assert (path.parent / source).exists(), source
    cmd = json.loads(dict(steps)["CMD"])
    assert cmd[:2] == ["uvicorn", "app:app"] and cmd[cmd.index("--port") + 1] == "8000"


def test_compose_file_parses_and_everything_it_names_exists():
    compose = yaml.safe_load((COMPOSE_DIR / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"sluice", "blue", "green", "prometheus"}
    for name, service in services.items():
        if name == "prometheus":
            continue
        context = (COMPOSE_DIR / service["build"]["context"]).resolve()
        dockerfile = context / service["build"].get("dockerfile", "Dockerfile")
        assert dockerfile.is_file(), f"{name}: no {dockerfile}"
    assert (COMPOSE_DIR / services["sluice"]["build"]["context"]).resolve() == REPO
    assert {services[p]["environment"]["POOL"] for p in ("blue", "green")} == {"blue", "green"}
    # Bind mounts exist; the state lives in a declared named volume.
    named = set(compose.get("volumes") or {})
    targets = {}
    for volume in services["sluice"]["volumes"]:
        source, target = volume.split(":")[:2]
        targets[target] = source
        if source.startswith("."):
            assert (COMPOSE_DIR / source).exists(), volume
        else:
            assert source in named, volume
    assert targets["/srv/sluice/state"] in named
    # Ports are published on the host's loopback only.
    for port in services["sluice"]["ports"] + services["prometheus"]["ports"]:
        assert port.startswith("127.0.0.1:"), port


def test_compose_prometheus_scrapes_sluice_metrics():
    compose = yaml.safe_load((COMPOSE_DIR / "docker-compose.yml").read_text())
    source, target = compose["services"]["prometheus"]["volumes"][0].split(":")[:2]
    assert target == "/etc/prometheus/prometheus.yml"
    config_path = COMPOSE_DIR / source
    checked = subprocess.run(["promtool", "check", "config", str(config_path)], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    config = yaml.safe_load(config_path.read_text())
    [job] = config["scrape_configs"]
    admin_port = compose["services"]["sluice"]["environment"]["SLUICE_ADMIN"].rsplit(":", 1)[1]
    assert job["metrics_path"] == "/metrics"
    assert job["static_configs"][0]["targets"] == [f"sluice:{admin_port}"]


def test_compose_settings_are_sluice_options_and_its_routes_are_valid(tmp_path):
    compose = yaml.safe_load((COMPOSE_DIR / "docker-compose.yml").read_text())
    env = compose["services"]["sluice"]["environment"]
    help_text = subprocess.run([str(SLUICE_BIN), "serve", "--help"], capture_output=True, text=True, timeout=30).stdout
    for key in env:
        if key == "SLUICE_ADMIN_TOKEN":
            continue
        option = "--" + key.removeprefix("SLUICE_").lower().replace("_", "-")
        assert option + " " in help_text, f"{key}: sluice serve has no {option}"
    mounted = {v.split(":")[1]: v.split(":")[0] for v in compose["services"]["sluice"]["volumes"]}
    assert env["SLUICE_CERTS"] in mounted
    # The route files are valid once the compose service names are local addresses.
    routes = COMPOSE_DIR / mounted["/srv/sluice/routes"]
    local = tmp_path / "routes"
    local.mkdir()
    for file in routes.glob("*.json"):
        text = file.read_text()
        for service in ("blue", "green"):
            assert f'"{service}:8000"' in text
            text = text.replace(f'"{service}:8000"', f'"127.0.0.1:{free_port()}"')
        (local / file.name).write_text(text)
    check = subprocess.run([str(SLUICE_BIN), "check", "--routes", str(local)], capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, check.stdout + check.stderr


def test_fleet_compose_file_runs_three_instances_on_one_etcd_with_known_options():
    compose = yaml.safe_load((COMPOSE_DIR / "docker-compose.fleet.yml").read_text())
    services = compose["services"]
    instances = {name: s for name, s in services.items() if name.startswith("sluice-")}
    assert set(services) == {"etcd", "blue", "green"} | set(instances) and len(instances) == 3
    help_text = subprocess.run([str(SLUICE_BIN), "serve", "--help"], capture_output=True, text=True, timeout=30).stdout
    names, host_ports = set(), []
    for name, service in instances.items():
        env = service["environment"]
        for key in env:
            if key == "SLUICE_ADMIN_TOKEN":
                continue
            option = "--" + key.removeprefix("SLUICE_").lower().replace("_", "-")
            assert option + " " in help_text, f"{name}: {key}: sluice serve has no {option}"
        assert env["SLUICE_STORE"] == "etcd://etcd:2379"
        names.add(env["SLUICE_INSTANCE"])
        assert (COMPOSE_DIR / service["build"]["context"]).resolve() == REPO
        assert "etcd" in service["depends_on"]
        for volume in service["volumes"]:
            assert (COMPOSE_DIR / volume.split(":")[0]).exists(), volume
        for port in service["ports"]:
            assert port.startswith("127.0.0.1:"), port
            host_ports.append(port.split(":")[1])
    assert len(names) == 3, "instance names must be unique in the fleet"
    assert len(set(host_ports)) == len(host_ports)
    assert "--advertise-client-urls=http://etcd:2379" in services["etcd"]["command"]
    assert set(compose["volumes"]) == {"etcd-data"}
