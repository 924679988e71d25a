"""docker-compose.yml, the README and .ci/run stay in step with the settings."""

from __future__ import annotations

import os
import re

import yaml

from tests.harness.servers import ROOT

SETTINGS_FILES = [ROOT / "config" / "settings" / name for name in ("base.py", "production.py")]


def variables_read_by_settings() -> set[str]:
    found: set[str] = set()
    for path in SETTINGS_FILES:
        found |= set(re.findall(r'env\.\w+\(\s*"([A-Z_]+)"', path.read_text()))
    return found


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_settings_read_the_variables_the_deployment_needs():
    required = {
        "DATABASE_URL",
        "REDIS_URL",
        "STRIPE_API_BASE",
        "STRIPE_SECRET_KEY",
        "STRIPE_WEBHOOK_SECRET",
        "ALLOWED_HOSTS",
        "SECRET_KEY",
        "DEBUG",
        "TIME_ZONE",
    }

    assert required <= variables_read_by_settings()


def test_every_variable_the_settings_read_is_set_for_the_web_service_in_compose():
    services = compose()["services"]
    anchors = services["web"].get("environment", {})

    missing = variables_read_by_settings() - set(anchors)

    assert not missing, f"set these in docker-compose.yml: {sorted(missing)}"


def test_compose_runs_postgres_redis_stripe_mock_and_uvicorn_with_health_checks():
    services = compose()["services"]

    assert {"postgres", "redis", "stripe-mock", "web"} <= set(services)
    for name in ("postgres", "redis", "web"):
        assert "healthcheck" in services[name], name
    assert "uvicorn" in " ".join(services["web"]["command"])
    assert "websockets-sansio" in " ".join(services["web"]["command"])
    # Browsers offer per-message deflate; a compressor per watcher doubled the CPU of each
    # delivered frame and the memory of each idle watcher (bench/README.md).
    assert "--ws-per-message-deflate false" in " ".join(services["web"]["command"])
    assert services["stripe-mock"]["image"].startswith("stripe/stripe-mock")
    assert services["web"]["environment"]["DJANGO_SETTINGS_MODULE"] == "config.settings.production"


def test_compose_runs_the_payment_worker_with_the_web_services_settings_after_migrating():
    services = compose()["services"]
    worker = services["worker"]

    assert worker["command"] == ["python", "manage.py", "run_payment_worker"]
    assert worker["environment"] == services["web"]["environment"]
    assert worker["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert worker["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_make_run_starts_and_stops_the_payment_worker():
    script = (ROOT / "scripts" / "run.sh").read_text()

    assert "manage.py run_payment_worker &" in script
    assert script.index("run_payment_worker &") < script.index(
        'started+=("$!")', script.index("run_payment_worker &")
    )


def test_every_variable_the_settings_read_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text()

    missing = {name for name in variables_read_by_settings() if f"`{name}`" not in readme}

    assert not missing, f"document in README.md: {sorted(missing)}"


def test_ci_runs_make_test_and_nothing_else():
    lines = [
        line.strip()
        for line in (ROOT / ".ci" / "run").read_text().splitlines()
        if line.strip()
        and not line.startswith("#")
        and not line.startswith("set ")
        and not line.startswith("cd ")
    ]

    assert lines == ["exec make test"]


def test_compose_runs_the_auction_clock_outside_the_web_processes():
    services = compose()["services"]

    assert services["clock"]["command"] == ["python", "manage.py", "run_auction_clock"]
    assert services["clock"]["environment"] == services["web"]["environment"]
    assert services["web"]["environment"]["CLOCK_IN_PROCESS"] == "false"


UV = ROOT / "var" / "tools" / "uv" / "bin" / "uv"


def test_uv_lock_agrees_with_the_ranges_in_pyproject():
    import subprocess

    result = subprocess.run(
        [str(UV), "lock", "--check", "--offline"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "UV_PYTHON_DOWNLOADS": "never", "UV_NO_PROGRESS": "1"},
    )

    assert result.returncode == 0, (
        "uv.lock does not satisfy pyproject.toml: run `make upgrade` (or `uv lock`) and commit "
        f"the lock with the suite green\n{result.stderr}"
    )


def test_every_install_takes_the_python_packages_from_the_lock():
    sources = {
        name: (ROOT / name).read_text()
        for name in ("Makefile", "Dockerfile", "scripts/bootstrap.sh", "scripts/run.sh")
    }

    for name, text in sources.items():
        assert not re.search(r"pip install[^\n]*(\s\.|\.\[)", text), f"{name} installs from ranges"
    assert 'UV" sync --locked' in sources["scripts/bootstrap.sh"]  # make test, bench, soak
    assert 'UV" sync --frozen' in sources["scripts/bootstrap.sh"]  # make run
    assert "uv sync --frozen" in sources["Dockerfile"]
    assert "--require-hashes -r scripts/uv-requirements.txt" in sources["Dockerfile"]
    assert "test-deps" in (ROOT / "Makefile").read_text().split("\nsoak:")[1]
    assert "test-deps" in (ROOT / "Makefile").read_text().split("\nbench:")[1]


def test_the_image_leaves_local_state_out_and_checks_its_own_health():
    ignored = set((ROOT / ".dockerignore").read_text().split())
    dockerfile = (ROOT / "Dockerfile").read_text()

    assert {".git", ".venv", "var", "node_modules", ".env", "tests/artifacts"} <= ignored
    assert re.search(r"^HEALTHCHECK .*\n?.*/livez", dockerfile, re.M)


def test_make_backup_and_the_test_dependencies_of_backups_and_object_storage():
    makefile = (ROOT / "Makefile").read_text()
    bootstrap = (ROOT / "scripts" / "bootstrap.sh").read_text()
    test_deps = bootstrap.split("\ntest_deps() {")[1].split("\n}")[0]

    assert "scripts/backup.sh backup" in makefile.split("\nbackup:")[1]
    assert "pgbackrest" in test_deps
    assert "install_versitygw" in test_deps
    assert re.search(r'^VERSITYGW_VERSION="v\d+\.\d+\.\d+"$', bootstrap, re.M)


def test_compose_keeps_the_clocks_checkpoints_and_the_files_on_a_volume():
    services = compose()["services"]
    environment = services["web"]["environment"]

    for name in ("web", "worker", "clock"):
        assert "media:/data" in services[name]["volumes"], name
    assert environment["AUDIT_CHECKPOINT_DIR"].startswith("/data/")
    assert environment["PRIVATE_MEDIA_ROOT"].startswith("/data/")
    assert services["s3"]["profiles"] == ["object-store"]


COMPOSE_SECRETS = (
    "SECRET_KEY",
    "AUDIT_SIGNING_KEY",
    "STRIPE_SECRET_KEY",
    "STRIPE_WEBHOOK_SECRET",
)


def test_compose_takes_every_secret_from_the_environment_without_a_default():
    services = compose()["services"]
    environment = services["web"]["environment"]

    for name in COMPOSE_SECRETS:
        assert environment[name].startswith(f"${{{name}:?"), name  # compose stops when unset
    assert "${POSTGRES_PASSWORD:?" in environment["DATABASE_URL"]
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD"].startswith(
        "${POSTGRES_PASSWORD:?"
    )
    example = (ROOT / ".env.example").read_text()
    for name in (*COMPOSE_SECRETS, "POSTGRES_PASSWORD", "ADMIN_EMAIL", "LOAD_DEMO_DATA"):
        assert f"\n{name}=" in example, name


def test_compose_keeps_the_audit_checkpoints_on_a_volume_and_checks_the_worker_and_clock():
    services = compose()["services"]

    for name in ("web", "clock", "worker", "migrate"):
        assert "audit-checkpoints:/data/audit-checkpoints" in services[name]["volumes"], name
    assert services["web"]["environment"]["AUDIT_CHECKPOINT_DIR"] == "/data/audit-checkpoints"
    assert "audit-checkpoints" in compose()["volumes"]
    assert services["worker"]["healthcheck"]["test"][-2:] == ["healthcheck", "worker"]
    assert services["clock"]["healthcheck"]["test"][-2:] == ["healthcheck", "clock"]
    assert "/readyz" in " ".join(services["web"]["healthcheck"]["test"])


def test_compose_migrates_then_creates_the_administrator_then_loads_the_demo_on_request():
    migrate = compose()["services"]["migrate"]
    script = migrate["command"][-1]

    assert script.index("migrate --noinput") < script.index("ensure_admin")
    assert script.index("ensure_admin") < script.index("seed_demo")
    assert '"$$LOAD_DEMO_DATA" = true' in script
    assert {"ADMIN_EMAIL", "ADMIN_PASSWORD", "LOAD_DEMO_DATA"} <= set(migrate["environment"])


def test_compose_serves_metrics_inside_its_network_only_and_logs_json_lines():
    services = compose()["services"]
    environment = services["web"]["environment"]

    assert environment["LOG_FORMAT"] == "json"
    assert environment["METRICS_PORT"] == "9100"
    for name in ("web", "clock", "worker"):
        assert services[name]["expose"] == ["9100"], name
        assert environment["PROMETHEUS_MULTIPROC_DIR"] in services[name]["tmpfs"], name
        published = " ".join(str(port) for port in services[name].get("ports", []))
        assert "9100" not in published, name
    command = " ".join(services["web"]["command"])
    assert "--log-config deploy/logging/uvicorn-json.json" in command
    # One access line a request, the application's (with its route and request id).
    assert "--no-access-log" in command


def test_uvicorns_log_configuration_is_the_applications_json_configuration():
    import json

    from core import logs

    shipped = json.loads((ROOT / "deploy" / "logging" / "uvicorn-json.json").read_text())

    assert shipped == logs.config("json", "INFO")


def test_the_test_machines_get_debians_prometheus_without_its_service():
    script = (ROOT / "scripts" / "bootstrap.sh").read_text()
    test_deps = script[script.index("\ntest_deps() {") :]

    assert "install_prometheus" in test_deps[: test_deps.index("\n}")]
    assert "apt_install prometheus" in script
    assert "policy-rc.d" in script
