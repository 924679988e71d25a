"""The Helm chart (deploy/helm/mazad): rendered by helm, every manifest checked by kubeconform
against the Kubernetes API's schemas, and the properties a court's cluster relies on.

helm, kubeconform and the schemas are installed by `scripts/bootstrap.sh test-deps` (so by
`make test`) into var/tools; without them these tests are skipped, saying what to run.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from tests.harness.servers import ROOT

CHART = ROOT / "deploy" / "helm" / "mazad"
TOOLS = ROOT / "var" / "tools"
HELM = TOOLS / "bin" / "helm"
KUBECONFORM = TOOLS / "bin" / "kubeconform"
SCHEMAS = TOOLS / "kubernetes-json-schema"
PRODUCTION = CHART / "values-production.yaml"
VARIANTS = {"default": [], "production": [PRODUCTION]}
# Settings the containers get that the application does not read itself.
RUNTIME_ONLY = {"DJANGO_SETTINGS_MODULE", "HOME", "XDG_CACHE_HOME", "PROMETHEUS_MULTIPROC_DIR"}
SECRET_SETTINGS = {
    "SECRET_KEY",
    "STRIPE_SECRET_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "AUDIT_SIGNING_KEY",
    "RECEIPT_SIGNING_KEYS",
    "COURT_SIGNING_KEYS",
    "WEBPUSH_VAPID_PRIVATE_KEY",
    "DATABASE_PASSWORD",
    "REDIS_PASSWORD",
    "S3_ACCESS_KEY_ID",
    "S3_SECRET_ACCESS_KEY",
    "EMAIL_URL",
    "SENTRY_DSN",
    "ADMIN_PASSWORD",
}

pytestmark = pytest.mark.skipif(
    not (HELM.exists() and KUBECONFORM.exists() and SCHEMAS.is_dir()),
    reason="helm, kubeconform or the Kubernetes schemas are not installed in var/tools: "
    "run `scripts/bootstrap.sh helm-tools` (make test does)",
)


def helm(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(HELM), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={"HOME": str(TOOLS), "HELM_CACHE_HOME": str(TOOLS / "helm-cache")},
    )


def render_text(variant: str, *sets: str) -> subprocess.CompletedProcess[str]:
    args = ["template", "mazad", str(CHART), "--namespace", "mazad"]
    for values in VARIANTS[variant]:
        args += ["-f", str(values)]
    for value in sets:
        args += ["--set", value]
    return helm(*args)


_rendered: dict[str, list[dict[str, Any]]] = {}


def render(variant: str) -> list[dict[str, Any]]:
    if variant not in _rendered:
        result = render_text(variant)
        assert result.returncode == 0, result.stderr
        _rendered[variant] = [doc for doc in yaml.safe_load_all(result.stdout) if doc]
    return _rendered[variant]


def of_kind(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [doc for doc in docs if doc["kind"] == kind]


def named(docs: list[dict[str, Any]], kind: str, component: str) -> dict[str, Any]:
    (found,) = [
        doc
        for doc in of_kind(docs, kind)
        if doc["metadata"]["labels"].get("app.kubernetes.io/component") == component
    ]
    return found


def pod_specs(docs: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    for doc in docs:
        if doc["kind"] in ("Deployment", "Job"):
            yield doc["metadata"]["name"], doc["spec"]["template"]["spec"]


def containers(docs: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    for name, spec in pod_specs(docs):
        for container in spec.get("initContainers", []) + spec["containers"]:
            yield name, spec, container


@pytest.mark.parametrize("variant", VARIANTS)
def test_helm_lint_is_clean(variant):
    args = ["lint", "--strict", str(CHART)]
    for values in VARIANTS[variant]:
        args += ["-f", str(values)]
    result = helm(*args)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 chart(s) failed" in result.stdout
    assert "[WARNING]" not in result.stdout
    assert "[ERROR]" not in result.stdout


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("release", sorted(p.name for p in SCHEMAS.glob("v*-standalone-strict")))
def test_every_manifest_matches_the_kubernetes_schema(variant, release, tmp_path):
    result = render_text(variant)
    assert result.returncode == 0, result.stderr
    manifests = tmp_path / "manifests.yaml"
    manifests.write_text(result.stdout)
    version = release.removesuffix("-standalone-strict").removeprefix("v")
    location = str(SCHEMAS) + (
        "/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}"
        "/{{ .ResourceKind }}{{ .KindSuffix }}.json"
    )

    checked = subprocess.run(
        [
            str(KUBECONFORM),
            "-strict",
            "-summary",
            "-output=json",
            f"-kubernetes-version={version}",
            f"-schema-location={location}",
            str(manifests),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert checked.returncode == 0, checked.stdout + checked.stderr
    summary = json.loads(checked.stdout)["summary"]
    count = len(render(variant))
    assert summary == {"valid": count, "invalid": 0, "errors": 0, "skipped": 0}, checked.stdout


def test_kubeconform_refuses_a_manifest_the_api_would_refuse(tmp_path):
    """The check is strict: a misspelt field and a wrong type both fail it."""
    release = sorted(SCHEMAS.glob("v*-standalone-strict"))[-1].name
    version = release.removesuffix("-standalone-strict").removeprefix("v")
    location = str(SCHEMAS) + (
        "/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}"
        "/{{ .ResourceKind }}{{ .KindSuffix }}.json"
    )
    deployment = next(doc for doc in render("default") if doc["kind"] == "Deployment")
    misspelt = json.loads(json.dumps(deployment))
    misspelt["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = {}
    wrong_type = json.loads(json.dumps(deployment))
    wrong_type["spec"]["replicas"] = "two"
    for broken in (misspelt, wrong_type):
        path = tmp_path / "broken.yaml"
        path.write_text(yaml.safe_dump(broken))
        checked = subprocess.run(
            [
                str(KUBECONFORM),
                "-strict",
                f"-kubernetes-version={version}",
                f"-schema-location={location}",
                str(path),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert checked.returncode == 1, checked.stdout + checked.stderr


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_processes_are_the_documented_ones(variant):
    docs = render(variant)
    web = named(docs, "Deployment", "web")["spec"]["template"]["spec"]["containers"][0]
    worker = named(docs, "Deployment", "worker")["spec"]["template"]["spec"]["containers"][0]
    clock = named(docs, "Deployment", "clock")["spec"]["template"]["spec"]["containers"][0]

    assert web["command"][:2] == ["uvicorn", "config.asgi:application"]
    assert "--ws=websockets-sansio" in web["command"]
    assert worker["command"] == ["python", "manage.py", "run_payment_worker"]
    assert clock["command"] == ["python", "manage.py", "run_auction_clock"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_container_has_probes_resources_and_runs_as_non_root(variant):
    docs = render(variant)
    seen = 0
    for name, spec, container in containers(docs):
        seen += 1
        resources = container["resources"]
        assert resources["requests"]["cpu"], name
        assert resources["requests"]["memory"], name
        assert resources["limits"]["memory"], name
        context = container["securityContext"]
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        # With the above, what the "restricted" Pod Security Standard asks.
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        assert all(set(volume) <= {"name", "emptyDir"} for volume in spec["volumes"]), name
        assert not any(port.get("hostPort") for port in container.get("ports", [])), name
        assert context["runAsNonRoot"] is True, name
        assert context["runAsUser"] != 0, name
        assert context["readOnlyRootFilesystem"] is True, name
        assert context["allowPrivilegeEscalation"] is False, name
        assert context["capabilities"]["drop"] == ["ALL"], name
        assert spec["automountServiceAccountToken"] is False, name
        # The read-only root has a writable /tmp.
        mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
        volumes = {volume["name"]: volume for volume in spec["volumes"]}
        assert "emptyDir" in volumes[mounts["/tmp"]], name
        if not name.endswith("-migrations"):
            assert container["livenessProbe"], name
            assert container["readinessProbe"], name
    assert seen == 4


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_probes_ask_the_documented_endpoints_and_commands(variant):
    docs = render(variant)
    web = named(docs, "Deployment", "web")["spec"]["template"]["spec"]["containers"][0]
    assert web["livenessProbe"]["httpGet"]["path"] == "/livez"
    assert web["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert web["startupProbe"]["httpGet"]["path"] == "/livez"
    for role in ("worker", "clock"):
        container = named(docs, "Deployment", role)["spec"]["template"]["spec"]["containers"][0]
        for probe in ("livenessProbe", "readinessProbe"):
            command = ["python", "manage.py", "healthcheck", role]
            assert container[probe]["exec"]["command"] == command, (role, probe)


@pytest.mark.parametrize("variant", VARIANTS)
def test_no_secret_value_is_rendered(variant):
    docs = render(variant)
    assert not of_kind(docs, "Secret")
    (config,) = [doc for doc in of_kind(docs, "ConfigMap") if doc["metadata"]["name"] == "mazad"]
    assert not SECRET_SETTINGS & set(config["data"])
    assert not any(key in ("DATABASE_URL", "REDIS_URL") for key in config["data"])
    for name, _spec, container in containers(docs):
        assert {"secretRef": {"name": "mazad-secrets"}} in container["envFrom"], name
        for variable in container["env"]:
            if variable["name"] in SECRET_SETTINGS:
                assert set(variable) == {"name", "valueFrom"}, (name, variable)
                assert variable["valueFrom"]["secretKeyRef"]["name"] == "mazad-secrets"
        database_url = next(v["value"] for v in container["env"] if v["name"] == "DATABASE_URL")
        assert ":$(DATABASE_PASSWORD)@" in database_url, name


def test_a_secret_put_in_the_values_is_refused():
    result = render_text("default", "config.STRIPE_SECRET_KEY=sk_live_x")

    assert result.returncode != 0
    assert "config.STRIPE_SECRET_KEY is a secret" in result.stderr


def _production_secrets() -> set[str]:
    """The secret settings the production settings check: Django's secret, and every key,
    secret or mail URL it reads from the environment (a true-or-false switch is no secret)."""
    text = (ROOT / "config" / "settings" / "production.py").read_text()
    read = set(re.findall(r"env\.(?!bool\b)\w+\(\s*\"([A-Z0-9_]+)\"", text))
    return {"SECRET_KEY"} | {
        name for name in read if re.search(r"KEY|SECRET", name) or name == "EMAIL_URL"
    }


@pytest.mark.parametrize("name", sorted(_production_secrets()))
def test_every_secret_the_production_check_reads_is_a_documented_chart_and_compose_secret(name):
    refused = render_text("default", f"config.{name}=x")
    chart_readme = (CHART / "README.md").read_text()
    compose = (ROOT / "docker-compose.yml").read_text()

    assert refused.returncode != 0
    assert f"config.{name} is a secret" in refused.stderr
    assert f"`{name}`" in chart_readme.split("| key | needed | what |")[1].split("\n\n")[0]
    assert re.search(rf"^  {name}: ", compose, re.M), f"docker-compose.yml lacks {name}"


def test_the_chart_requires_the_shared_buckets_and_a_well_formed_digest():
    no_bucket = render_text("default", "objectStorage.buckets.private=")
    bad_digest = render_text("default", "image.digest=latest")

    assert no_bucket.returncode != 0
    assert "objectStorage.buckets" in no_bucket.stderr
    assert bad_digest.returncode != 0
    assert "image.digest must be sha256" in bad_digest.stderr


def test_forwarded_headers_are_trusted_from_everyone_only_behind_the_network_policy():
    open_port = render_text("default", "networkPolicy.enabled=false")
    named_proxy = render_text(
        "default", "networkPolicy.enabled=false", "web.forwardedAllowIps=10.0.0.10"
    )

    assert open_port.returncode != 0
    assert "web.forwardedAllowIps" in open_port.stderr
    assert named_proxy.returncode == 0, named_proxy.stderr
    assert "--forwarded-allow-ips=10.0.0.10" in named_proxy.stdout


def test_every_setting_in_the_config_map_is_one_mazad_reads():
    read = set()
    for path in (ROOT / "config" / "settings").glob("*.py"):
        read |= set(re.findall(r"env\.\w+\(\s*\"([A-Z0-9_]+)\"", path.read_text()))
    for variant in VARIANTS:
        for config in of_kind(render(variant), "ConfigMap"):
            unknown = set(config["data"]) - read - RUNTIME_ONLY
            assert not unknown, (variant, config["metadata"]["name"], unknown)


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_migrations_run_as_a_hook_before_install_and_upgrade(variant):
    docs = render(variant)
    job = named(docs, "Job", "migrations")
    hook_config = named(docs, "ConfigMap", "migrations")

    annotations = job["metadata"]["annotations"]
    assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade"
    command = " ".join(job["spec"]["template"]["spec"]["containers"][0]["command"])
    assert "manage.py migrate --noinput" in command
    # Its ConfigMap exists before it (hooks run before the release's own resources).
    assert hook_config["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert int(hook_config["metadata"]["annotations"]["helm.sh/hook-weight"]) < int(
        annotations["helm.sh/hook-weight"]
    )
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    # The Deployments carry no hook: they start after the Job succeeded.
    for deployment in of_kind(docs, "Deployment"):
        assert "helm.sh/hook" not in deployment["metadata"].get("annotations", {})


def test_the_autoscaler_targets_the_web_deployment():
    docs = render("production")
    (hpa,) = of_kind(docs, "HorizontalPodAutoscaler")
    web = named(docs, "Deployment", "web")

    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": web["metadata"]["name"],
    }
    assert 2 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]
    # The autoscaler owns the replica count.
    assert "replicas" not in web["spec"]
    assert not of_kind(render("default"), "HorizontalPodAutoscaler")


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_process_has_a_disruption_budget_that_lets_a_node_drain(variant):
    docs = render(variant)
    budgets = {
        doc["metadata"]["labels"]["app.kubernetes.io/component"]: doc["spec"]
        for doc in of_kind(docs, "PodDisruptionBudget")
    }
    assert set(budgets) == {"web", "worker", "clock"}
    for component, budget in budgets.items():
        deployment = named(docs, "Deployment", component)
        assert budget["selector"]["matchLabels"] == deployment["spec"]["selector"]["matchLabels"]
        if "minAvailable" in budget:
            hpa = of_kind(docs, "HorizontalPodAutoscaler")
            replicas = hpa[0]["spec"]["minReplicas"] if component == "web" and hpa else None
            replicas = replicas or deployment["spec"]["replicas"]
            assert budget["minAvailable"] < replicas, component
        else:
            assert budget["maxUnavailable"] >= 1, component


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_network_policies_admit_only_the_ingress_and_the_scrape(variant):
    docs = render(variant)
    policies = {
        doc["metadata"]["labels"]["app.kubernetes.io/component"]: doc["spec"]
        for doc in of_kind(docs, "NetworkPolicy")
    }
    assert set(policies) == {"web", "worker", "clock", "migrations"}
    for component, policy in policies.items():
        assert policy["policyTypes"] == ["Ingress", "Egress"], component
        if component != "migrations":
            selected = named(docs, "Deployment", component)["spec"]["selector"]["matchLabels"]
            assert policy["podSelector"]["matchLabels"] == selected
        ports = [port["port"] for rule in policy["ingress"] for port in rule["ports"]]
        if component == "web":
            assert "http" in ports
            assert policy["ingress"][0]["from"], "the web port is open to the ingress only"
        else:
            # The worker and the clock accept nothing but the metrics scrape, when named.
            assert set(ports) <= {"metrics"}, component
        for rule in policy["ingress"]:
            assert rule["from"], (component, "an ingress rule must name its peers")
        egress_ports = {port["port"] for rule in policy["egress"] for port in rule["ports"]}
        assert {53, 5432, 6379, 443} <= egress_ports, component
        if component != "migrations":
            assert 587 in egress_ports, component


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_metrics_port_is_annotated_for_the_scrape(variant):
    docs = render(variant)
    for component in ("web", "worker", "clock"):
        template = named(docs, "Deployment", component)["spec"]["template"]
        annotations = template["metadata"]["annotations"]
        container = template["spec"]["containers"][0]
        ports = {port["name"]: port["containerPort"] for port in container["ports"]}
        assert annotations["prometheus.io/scrape"] == "true"
        assert annotations["prometheus.io/path"] == "/metrics"
        assert int(annotations["prometheus.io/port"]) == ports["metrics"]
    (config,) = [doc for doc in of_kind(docs, "ConfigMap") if doc["metadata"]["name"] == "mazad"]
    assert config["data"]["METRICS_PORT"] == str(ports["metrics"])
    assert config["data"]["METRICS_HOST"] == "0.0.0.0"  # noqa: S104 (the pod's own address)


def test_the_production_example_pins_the_image_and_serves_tls_with_websockets():
    docs = render("production")
    (ingress,) = of_kind(docs, "Ingress")
    images = {container["image"] for _name, _spec, container in containers(docs)}

    assert len(images) == 1
    assert re.fullmatch(r".+@sha256:[0-9a-f]{64}", images.pop())
    assert ingress["spec"]["tls"][0]["secretName"]
    assert ingress["spec"]["tls"][0]["hosts"] == [ingress["spec"]["rules"][0]["host"]]
    annotations = ingress["metadata"]["annotations"]
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == named(docs, "Service", "web")["metadata"]["name"]
    # The default values make no Ingress.
    assert not of_kind(render("default"), "Ingress")


def test_the_web_deployment_drains_before_it_stops():
    docs = render("production")
    web = named(docs, "Deployment", "web")
    container = web["spec"]["template"]["spec"]["containers"][0]

    assert web["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    assert container["lifecycle"]["preStop"]["exec"]["command"][0] == "sleep"
    grace = web["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    pre_stop = int(container["lifecycle"]["preStop"]["exec"]["command"][1])
    shutdown = int(
        next(a for a in container["command"] if a.startswith("--timeout-graceful-shutdown=")).split(
            "="
        )[1]
    )
    assert pre_stop + shutdown < grace
