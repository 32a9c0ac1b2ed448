"""The Helm chart deploy/helm/headwater, rendered by Helm itself and checked as Kubernetes
would check it.

helm-python-sdk carries Helm's Go SDK (v4), so `render` here is `helm template` and `lint` is
`helm lint`. Every manifest rendered from the default values and from ci/two-code-servers-
values.yaml validates against the Kubernetes OpenAPI schema (kubernetes-validate, strict, for
the oldest Kubernetes the chart supports and the newest the package knows). The pieces that
must agree are checked against each other and against headwater: workspace.yaml against the
code servers' Services, headwater.yaml against headwater's own settings validation, each
container's command line against the real CLI, and the webserver's probe against a real
webserver. A code server's pod is started for real: its arguments, its environment (the
Secrets it names resolved) and its mounts, reached with the token the webserver's and the
daemon's environment give them, and a run of its location executed where it starts it.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import helm_python as helm
import kubernetes_validate
import pytest
import yaml
from deploy_checks import (
    ROOT,
    free_port,
    localize,
    materialize_through,
    parse_command_line,
    refused_kind,
    run_python_check,
    running_code_server,
    running_webserver,
    start_refused,
)

from headwater.code.client import code_server_timeouts
from headwater.code.remote import RemoteOrigin
from headwater.code.workspace_file import origins_from_workspace
from headwater.daemon.monitor import monitoring_settings
from headwater.daemon.retention import RetentionSettings
from headwater.storage.claim import QueueLimits
from headwater.storage.instance import HeadwaterInstance
from headwater.storage.record import HeadwaterRunStatus

CHART = ROOT / "deploy" / "helm" / "headwater"
TWO_CODE_SERVERS = yaml.safe_load((CHART / "ci" / "two-code-servers-values.yaml").read_text())
KUBERNETES = ("1.25.0", kubernetes_validate.latest_version())


def render(values: dict[str, Any], release: str = "hw") -> list[dict[str, Any]]:
    """Every manifest `helm template RELEASE CHART` prints for these values."""
    with helm.Chart.load(str(CHART)) as chart:
        rendered = chart.render(values, name=release, namespace="data")
    return [doc for name, text in sorted(rendered.items()) if name.endswith(".yaml")
            for doc in yaml.safe_load_all(text) if doc]


def find(manifests: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    found = [m for m in manifests if m["kind"] == kind and m["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind} {name}: {len(found)} rendered"
    return found[0]


def container(deployment: dict[str, Any]) -> dict[str, Any]:
    (only,) = deployment["spec"]["template"]["spec"]["containers"]
    return only


def env_of(spec: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in spec.get("env", [])}


def instance_files(manifests: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    data = find(manifests, "ConfigMap", "hw-headwater-instance")["data"]
    return yaml.safe_load(data["headwater.yaml"]), yaml.safe_load(data["workspace.yaml"])


@pytest.fixture(scope="module")
def default() -> list[dict[str, Any]]:
    return render({})


@pytest.fixture(scope="module")
def two() -> list[dict[str, Any]]:
    return render(TWO_CODE_SERVERS)


def test_helm_lint_finds_no_error():
    """`helm lint` on the chart reports no error, with each values file."""
    for values in ({}, TWO_CODE_SERVERS):
        result = helm.lint(str(CHART), values=values)
        assert result["errors"] == [], result
        assert not [m for m in result["messages"] if m["severity"] > 1], result


@pytest.mark.parametrize("values", ["default", "two"])
def test_every_manifest_is_valid_kubernetes(values, request):
    """Each rendered manifest validates, strictly (no unknown field), against the Kubernetes
    schema of the oldest and newest versions checked."""
    manifests = request.getfixturevalue(values)
    kinds = {m["kind"] for m in manifests}
    assert {"Deployment", "Service", "ConfigMap", "ServiceAccount"} <= kinds
    for version in KUBERNETES:
        for manifest in manifests:
            kubernetes_validate.validate(manifest, version, strict=True)


def test_default_values_deploy_webserver_and_one_daemon(default):
    """By default: the webserver Deployment and Service, one daemon replaced (not rolled), no
    code server, and the database URL from the Secret `headwater-postgresql`."""
    names = {(m["kind"], m["metadata"]["name"]) for m in default}
    assert ("Deployment", "hw-headwater-webserver") in names
    assert ("Service", "hw-headwater-webserver") in names
    daemon = find(default, "Deployment", "hw-headwater-daemon")
    assert daemon["spec"]["replicas"] == 1
    assert daemon["spec"]["strategy"] == {"type": "Recreate"}
    assert container(daemon)["args"] == ["daemon", "run"]
    assert not [n for n in names if "-code-" in n[1]]
    for deployment in (daemon, find(default, "Deployment", "hw-headwater-webserver")):
        env = env_of(container(deployment))
        assert env["HEADWATER_DATABASE_URL"] == {"secretKeyRef": {
            "name": "headwater-postgresql", "key": "HEADWATER_DATABASE_URL"}}
        assert env["HEADWATER_HOME"] == "/opt/headwater/home"
    assert not [m for m in default if m["kind"] == "Secret"]
    assert not [m for m in default if m["kind"] in ("Ingress", "Role")]


def test_every_pod_runs_as_non_root_without_privileges(two):
    """Every pod: runAsNonRoot with the image's user id; every container (init ones too) drops
    every capability and cannot escalate; all of them run as the chart's service account."""
    deployments = [m for m in two if m["kind"] == "Deployment"]
    assert len(deployments) == 4
    for deployment in deployments:
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] == 10001
        assert pod["serviceAccountName"] == "hw-headwater"
        for each in pod["containers"] + pod.get("initContainers", []):
            assert each["securityContext"]["allowPrivilegeEscalation"] is False
            assert each["securityContext"]["capabilities"]["drop"] == ["ALL"]
            assert each["resources"]["requests"]


def test_code_servers_get_a_deployment_a_service_and_a_workspace_entry(two):
    """Each entry of codeServers runs `headwater code-server start -m/-f ... -h 0.0.0.0 -p PORT`
    behind a Service on that port, and workspace.yaml points at that Service by name."""
    _, workspace = instance_files(two)
    token_env = {"token_env": "HEADWATER_CODE_SERVER_TOKEN"}
    assert workspace["load_from"] == [
        {"grpc_server": {"host": "hw-headwater-code-shop", "port": 4000, "location_name": "shop",
                         **token_env}},
        {"grpc_server": {"host": "hw-headwater-code-ml-models", "port": 4001,
                         "location_name": "ml_models", **token_env}},
    ]
    shop = container(find(two, "Deployment", "hw-headwater-code-shop"))
    assert shop["args"] == ["code-server", "start", "-m", "shop.defs", "-d", "/opt/headwater/app",
                            "-h", "0.0.0.0", "-p", "4000"]
    assert shop["image"] == "headwater:0.1.0"
    ml_deployment = find(two, "Deployment", "hw-headwater-code-ml-models")
    ml = container(ml_deployment)
    assert ml["args"] == ["code-server", "start", "-f", "/opt/headwater/app/ml/defs.py",
                          "-h", "0.0.0.0", "-p", "4001"]
    assert ml["image"] == "registry.example.com/ml-models:2.3.0"
    assert ml_deployment["spec"]["replicas"] == 2
    assert env_of(ml)["MODEL_BUCKET"] == "s3://models"
    for entry in workspace["load_from"]:
        server = entry["grpc_server"]
        service = find(two, "Service", server["host"])
        (port,) = service["spec"]["ports"]
        assert port["port"] == server["port"]
        pod = find(two, "Deployment", server["host"])
        assert service["spec"]["selector"] == pod["spec"]["selector"]["matchLabels"]
        assert container(pod)["ports"][0]["containerPort"] == server["port"]


def test_webserver_and_daemon_read_the_workspace_file_when_code_servers_are_deployed(two):
    """With code servers, the webserver and the daemon get `-w` and the mounted workspace.yaml;
    HEADWATER_HOME is a writable emptyDir with headwater.yaml mounted in it."""
    for name in ("hw-headwater-webserver", "hw-headwater-daemon"):
        main = container(find(two, "Deployment", name))
        assert main["args"][-2:] == ["-w", "/etc/headwater/workspace.yaml"]
        home = env_of(main)["HEADWATER_HOME"]
        mounts = {m["mountPath"]: m.get("subPath") for m in main["volumeMounts"]}
        assert mounts == {"/etc/headwater/workspace.yaml": "workspace.yaml",
                          f"{home}/headwater.yaml": "headwater.yaml", home: None}


def test_code_servers_get_the_instance_the_daemon_has_and_the_token(two):
    """A code server's pod starts runs, so it gets what the daemon's has: HEADWATER_HOME on a
    writable emptyDir with headwater.yaml in it, the database URL from the same Secret, the
    ConfigMap's checksum (a new headwater.yaml rolls it); and the code servers, the webserver
    and the daemon all read HEADWATER_CODE_SERVER_TOKEN from one Secret, which workspace.yaml
    names for every entry."""
    daemon = find(two, "Deployment", "hw-headwater-daemon")
    webserver = find(two, "Deployment", "hw-headwater-webserver")
    token = {"secretKeyRef": {"name": "analytics-code-server-token",
                              "key": "HEADWATER_CODE_SERVER_TOKEN"}}
    for name in ("hw-headwater-code-shop", "hw-headwater-code-ml-models"):
        server = find(two, "Deployment", name)
        env = env_of(container(server))
        for key in ("HEADWATER_HOME", "HEADWATER_DATABASE_URL"):
            assert env[key] == env_of(container(daemon))[key]
        assert container(server)["volumeMounts"] == container(daemon)["volumeMounts"]
        assert server["spec"]["template"]["spec"]["volumes"] == \
            daemon["spec"]["template"]["spec"]["volumes"]
        annotations = server["spec"]["template"]["metadata"]["annotations"]
        assert annotations["checksum/instance"] == \
            daemon["spec"]["template"]["metadata"]["annotations"]["checksum/instance"]
        assert env["HEADWATER_CODE_SERVER_TOKEN"] == token
    for client in (daemon, webserver):
        assert env_of(container(client))["HEADWATER_CODE_SERVER_TOKEN"] == token
    (home,) = [v for v in daemon["spec"]["template"]["spec"]["volumes"] if v["name"] == "home"]
    assert home == {"name": "home", "emptyDir": {}}
    _, workspace = instance_files(two)
    assert {e["grpc_server"]["token_env"] for e in workspace["load_from"]} == {
        "HEADWATER_CODE_SERVER_TOKEN"}


def test_without_code_servers_no_code_server_token_is_needed(default):
    """With no codeServers, nothing reads a code server token and none is asked for."""
    for deployment in (m for m in default if m["kind"] == "Deployment"):
        assert "HEADWATER_CODE_SERVER_TOKEN" not in env_of(container(deployment))


# --- a code server's pod, started here ------------------------------------------------------
SHOP_DEFS = """\
from headwater import Definitions, asset


@asset
def orders() -> list[int]:
    return [3, 4, 5]


@asset
def order_total(orders: list[int]) -> int:
    return sum(orders)


defs = Definitions(assets=[orders, order_total])
"""
# What the cluster would hold: the Secrets the values name instead of having the chart make them.
CODE_SERVER_TOKEN = "a-token-from-the-cluster"


def resolved_env(spec: dict[str, Any], manifests: list[dict[str, Any]],
                 cluster: dict[str, dict[str, str]]) -> dict[str, str]:
    """A container's environment as the kubelet gives it: values as written, secretKeyRefs
    from the Secrets the chart rendered, else from those `cluster` already holds."""
    made = {m["metadata"]["name"]: m["stringData"] for m in manifests if m["kind"] == "Secret"}
    env = {}
    for entry in spec.get("env", []):
        if "value" in entry:
            env[entry["name"]] = str(entry["value"])
            continue
        ref = entry["valueFrom"]["secretKeyRef"]
        secret = made.get(ref["name"]) or cluster.get(ref["name"])
        assert secret is not None, f"{entry['name']}: no Secret {ref['name']}"
        env[entry["name"]] = secret[ref["key"]]
    return env


def pod_files(deployment: dict[str, Any], manifests: list[dict[str, Any]],
              where: Path) -> dict[str, Path]:
    """Each mount of the pod's container made under `where`: an emptyDir as a directory, a
    ConfigMap key (subPath) as a file with the rendered text, a mount inside another one
    inside its directory; the container path -> the test's path."""
    pod = deployment["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    paths: dict[str, Path] = {}
    for mount in sorted(container(deployment)["volumeMounts"], key=lambda m: m["mountPath"]):
        inside = mount["mountPath"]
        local = Path(localize(inside, paths)) if paths and localize(inside, paths) != inside \
            else where / inside.strip("/").replace("/", "_")
        volume = volumes[mount["name"]]
        if "emptyDir" in volume:
            local.mkdir(parents=True, exist_ok=True)
        else:
            data = find(manifests, "ConfigMap", volume["configMap"]["name"])["data"]
            local.parent.mkdir(parents=True, exist_ok=True)
            local.write_text(data[mount["subPath"]])
        paths[inside] = local
    return paths


@pytest.mark.parametrize("token", [{"existingSecret": "analytics-code-server-token"},
                                   {"token": "a-token-the-chart-makes-a-secret-of"}])
def test_a_code_server_pod_starts_serves_its_clients_and_runs_their_runs(tmp_path, token,
                                                                        monkeypatch):
    """The shop code server's container (its args, its environment with the Secrets resolved,
    its mounts, the image's /opt/headwater/app) starts `headwater code-server start` on
    0.0.0.0; the webserver and the daemon, reading the rendered workspace.yaml with their own
    environment, reach it with the token, a wrong or missing token is refused, and a run of
    its location executes in a worker the code server starts, with its log in the pod's
    HEADWATER_HOME. Without the token in its environment the same container exits."""
    port = free_port()
    database = f"sqlite:///{tmp_path / 'postgres.db'}"
    cluster = {"analytics-postgresql": {"HEADWATER_DATABASE_URL": database},
               "analytics-webserver-token": {"HEADWATER_WEBSERVER_TOKEN": "for-the-ui"},
               "analytics-code-server-token": {"HEADWATER_CODE_SERVER_TOKEN": CODE_SERVER_TOKEN}}
    manifests = render({**TWO_CODE_SERVERS, "codeServerToken": token,
                        "codeServerDefaults": {"port": port}})
    shop = find(manifests, "Deployment", "hw-headwater-code-shop")
    app = tmp_path / "image-app"  # the image's /opt/headwater/app, holding the code
    (app / "shop").mkdir(parents=True)
    (app / "shop" / "__init__.py").write_text("")
    (app / "shop" / "defs.py").write_text(SHOP_DEFS)
    paths = {"/opt/headwater/app": app, **pod_files(shop, manifests, tmp_path / "shop-pod")}
    args = [localize(a, paths) for a in container(shop)["args"]]
    env = {k: localize(v, paths)
           for k, v in resolved_env(container(shop), manifests, cluster).items()}
    assert args[args.index("-h") + 1] == "0.0.0.0"

    daemon = find(manifests, "Deployment", "hw-headwater-daemon")
    daemon_paths = pod_files(daemon, manifests, tmp_path / "daemon-pod")
    tokens = set()
    for client in (daemon, find(manifests, "Deployment", "hw-headwater-webserver")):
        client_env = resolved_env(container(client), manifests, cluster)
        for key, value in client_env.items():
            monkeypatch.setenv(key, localize(value, daemon_paths))
        found = {o.location_name: o for o in origins_from_workspace(
            str(daemon_paths["/etc/headwater/workspace.yaml"]))}
        tokens.add(found["shop"].token)
    (sent,) = tokens
    assert sent == env["HEADWATER_CODE_SERVER_TOKEN"]
    origin = found["shop"]
    assert isinstance(origin, RemoteOrigin)
    assert origin.host == "hw-headwater-code-shop" and origin.port == port
    origin = dataclasses.replace(origin, host="127.0.0.1")  # the Service's name, resolved

    without = {k: v for k, v in env.items() if k != "HEADWATER_CODE_SERVER_TOKEN"}
    assert "shared token" in start_refused(args, without, cwd=app)
    settings = yaml.safe_load((daemon_paths["/opt/headwater/home"] / "headwater.yaml").read_text())
    instance = HeadwaterInstance.from_url(database, str(daemon_paths["/opt/headwater/home"]),
                                          settings=settings)
    try:
        with running_code_server(args, env, cwd=app, origin=origin) as client:
            assert client.ready is not None and client.ready["loaded"], client.ready
            run = materialize_through(client, instance)
            log = Path(localize(f"/opt/headwater/home/logs/{run.run_id}.log", paths))
            assert run.status is HeadwaterRunStatus.SUCCESS, (
                [e.message for e in instance.all_logs(run.run_id)],
                log.read_text() if log.is_file() else "no log")
            assert log.is_file()
            assert not (daemon_paths["/opt/headwater/home"] / "logs").exists()
            # after the run: a client made with another token becomes the one the run
            # launcher would use for this address
            assert refused_kind(dataclasses.replace(origin, token="not-the-token")) == \
                "unauthorized"
            assert refused_kind(dataclasses.replace(origin, token=None)) == "unauthorized"
    finally:
        instance.dispose()


def test_the_instance_settings_are_accepted_by_headwater(two):
    """headwater.yaml as rendered passes headwater's own checks of run_queue, run_monitoring,
    retention and code_servers, with the values given."""
    settings, _ = instance_files(two)

    class Rendered:
        def get_settings(self, key: str) -> dict[str, Any]:
            return dict(settings.get(key) or {})

    limits = QueueLimits.from_settings(settings["run_queue"])
    assert limits.max_concurrent_runs == 25
    assert limits.tag_concurrency_limits[0]["limit"] == 2
    assert monitoring_settings(Rendered())["heartbeat_timeout_seconds"] == 30.0
    assert code_server_timeouts(Rendered(), request=1, startup=1) == {
        "timeout": 60.0, "startup_timeout": 180.0}
    retention = RetentionSettings.from_settings(settings["retention"])
    assert retention.runs == 90
    assert "run_launcher" not in settings  # empty sections are left out


def test_run_launcher_is_written_as_given():
    """instance.run_launcher passes through to headwater.yaml unchanged."""
    launcher = {"module": "headwater_k8s.launcher", "class": "K8sRunLauncher",
                "config": {"job_namespace": "data", "image_pull_policy": "Always"}}
    settings, _ = instance_files(render({"instance": {"run_launcher": launcher}}))
    assert settings["run_launcher"] == launcher


def test_secrets_come_from_existing_secrets_or_are_made_from_values(two):
    """existingSecret names are used as they are and no Secret is rendered; a URL or token in
    the values becomes a Secret the pods read."""
    web = env_of(container(find(two, "Deployment", "hw-headwater-webserver")))
    assert web["HEADWATER_DATABASE_URL"]["secretKeyRef"]["name"] == "analytics-postgresql"
    assert web["HEADWATER_WEBSERVER_TOKEN"]["secretKeyRef"]["name"] == "analytics-webserver-token"
    assert not [m for m in two if m["kind"] == "Secret"]
    made = render({"database": {"existingSecret": "", "url": "postgresql://u:p@db:5432/hw"},
                   "webserver": {"token": "s3cret"}, "codeServerToken": {"token": "c0de"},
                   "codeServers": [{"name": "shop", "module": "shop.defs"}]})
    db = find(made, "Secret", "hw-headwater-database")
    assert db["stringData"] == {"HEADWATER_DATABASE_URL": "postgresql://u:p@db:5432/hw"}
    token = find(made, "Secret", "hw-headwater-webserver-token")
    assert token["stringData"] == {"HEADWATER_WEBSERVER_TOKEN": "s3cret"}
    env = env_of(container(find(made, "Deployment", "hw-headwater-webserver")))
    assert env["HEADWATER_WEBSERVER_TOKEN"]["secretKeyRef"]["name"] == "hw-headwater-webserver-token"
    code = find(made, "Secret", "hw-headwater-code-server-token")
    assert code["stringData"] == {"HEADWATER_CODE_SERVER_TOKEN": "c0de"}
    for name in ("webserver", "daemon", "code-shop"):
        env = env_of(container(find(made, "Deployment", f"hw-headwater-{name}")))
        assert env["HEADWATER_CODE_SERVER_TOKEN"]["secretKeyRef"] == {
            "name": "hw-headwater-code-server-token", "key": "HEADWATER_CODE_SERVER_TOKEN"}


def test_the_webserver_answers_its_service_and_ingress_names(two):
    """HEADWATER_WEBSERVER_ALLOWED_HOSTS holds the Service's names, the Ingress host and the
    extra names given; the Ingress routes to the webserver's Service."""
    env = env_of(container(find(two, "Deployment", "hw-headwater-webserver")))
    hosts = env["HEADWATER_WEBSERVER_ALLOWED_HOSTS"].split()
    assert hosts == ["hw-headwater-webserver", "hw-headwater-webserver.data",
                     "hw-headwater-webserver.data.svc",
                     "hw-headwater-webserver.data.svc.cluster.local",
                     "headwater.example.com", "headwater.internal"]
    ingress = find(two, "Ingress", "hw-headwater")
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": "hw-headwater-webserver", "port": {"name": "http"}}
    assert find(two, "RoleBinding", "hw-headwater")["subjects"][0]["name"] == "hw-headwater"


def command_lines(manifests: list[dict[str, Any]]) -> list[list[str]]:
    lines: list[list[str]] = []
    for deployment in (m for m in manifests if m["kind"] == "Deployment"):
        pod = deployment["spec"]["template"]["spec"]
        lines.extend(c["args"] for c in pod["containers"] + pod.get("initContainers", []))
    return lines


def test_each_container_command_line_parses_with_the_real_cli(two):
    """Every container's arguments (webserver, daemon, migrate, code servers) are a command
    line `headwater` accepts, with the default values and with code servers."""
    plain = command_lines(render({"webserver": {"readOnly": True}}))
    assert ["webserver", "-h", "0.0.0.0", "-p", "3000", "--read-only"] in plain
    assert ["daemon", "run"] in plain
    for args in plain:
        parse_command_line(args)
    lines = command_lines(two)
    assert ["instance", "migrate"] in lines
    assert any(args[:2] == ["code-server", "start"] for args in lines)
    for args in lines:
        parse_command_line(args)


def test_the_webserver_probe_passes_on_a_real_webserver(tmp_path):
    """The readiness, liveness and startup probes' command, rendered for a webserver on this
    test's port, exits 0 against a real webserver with the token and non-zero without it."""
    with running_webserver(tmp_path / "home") as server:
        manifests = render({"webserver": {"port": server.port, "existingSecret": "token"}})
        web = container(find(manifests, "Deployment", "hw-headwater-webserver"))
        commands = {tuple(web[p]["exec"]["command"])
                    for p in ("readinessProbe", "livenessProbe", "startupProbe")}
        (command,) = commands
        assert command[:2] == ("python", "-c")
        assert run_python_check(command[2], tmp_path, HEADWATER_WEBSERVER_TOKEN=server.token) == 0
        assert run_python_check(command[2], tmp_path) != 0


WITH_TOKEN = {"codeServerToken": {"existingSecret": "code-token"}}


@pytest.mark.parametrize(("values", "message"), [
    ({"database": {"existingSecret": ""}},
     "database: set database.existingSecret (a Secret holding the PostgreSQL URL"),
    ({"codeServers": [{"name": "shop"}], **WITH_TOKEN},
     "codeServers[0] (shop): give module (e.g. module: shop.defs) or file"),
    ({"codeServers": [{"name": "shop", "module": "a", "file": "b.py"}], **WITH_TOKEN},
     "codeServers[0] (shop): give module or file, not both."),
    ({"codeServers": [{"name": "my shop", "module": "a"}], **WITH_TOKEN},
     "codeServers[0].name: give the code location's name, letters, digits"),
    ({"codeServers": [{"name": "a_b", "module": "a"}, {"name": "a-b", "module": "b"}],
      **WITH_TOKEN},
     "codeServers[1].name: \"a-b\" is used by another code server"),
    ({"codeServers": [{"name": "shop", "module": "shop.defs"}]},
     "codeServerToken: the code servers listen on 0.0.0.0 and refuse to start without a "
     "shared token; set codeServerToken.existingSecret"),
])
def test_a_mistake_in_the_values_is_one_message_naming_the_field(values, message):
    """Values the chart cannot deploy stop the render with a message naming the field and
    the fix."""
    with pytest.raises(helm.HelmRenderError) as caught:
        render(values)
    assert message in str(caught.value)


def test_the_chart_version_matches_the_package():
    """Chart.yaml's appVersion is headwater's version (the image tag by default)."""
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    import headwater

    assert chart["appVersion"] == headwater.__version__
    assert Path(CHART / "values.yaml").is_file()


@pytest.mark.parametrize(("values", "message"), [
    ({"codeServer": [{"name": "shop", "module": "shop.defs"}]},
     "at '': additional properties 'codeServer' not allowed"),
    ({"codeServers": [{"name": "shop", "modul": "shop.defs"}]},
     "at '/codeServers/0': additional properties 'modul' not allowed"),
    ({"webserver": {"port": "http"}}, "at '/webserver/port': got string, want integer"),
    ({"codeServerToken": {"secret": "x"}},
     "at '/codeServerToken': additional properties 'secret' not allowed"),
    ({"instance": {"storage": {"url": "sqlite:///x.db"}}}, "at '/instance/storage'"),
])
def test_values_schema_names_a_mistyped_or_misplaced_value(values, message):
    """values.schema.json refuses a key the chart does not read, naming where it is."""
    with pytest.raises(helm.HelmValuesError) as caught:
        render(values)
    assert message in str(caught.value)
