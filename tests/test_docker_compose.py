"""docker-compose.yml and the Dockerfile: the full stack, read as data (no Docker engine needed)."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

BASE_DIR = Path(__file__).resolve().parent.parent
APP_SERVICES = ("migrate", "web", "worker", "beat")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


@pytest.fixture(scope="module")
def dockerfile() -> list[str]:
    # Join continuation lines so that each instruction is one string.
    text = (BASE_DIR / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def _command(service: dict) -> str:
    command = service.get("command", "")
    return command if isinstance(command, str) else " ".join(command)


def _instructions(dockerfile: list[str], keyword: str) -> list[str]:
    return [line for line in dockerfile if line.split()[0].upper() == keyword]


def test_it_has_the_whole_stack(services):
    assert set(services) == {"db", "redis", *APP_SERVICES}
    assert services["db"]["image"] == "postgres:16"
    assert services["redis"]["image"] == "redis:7"
    for name in APP_SERVICES:
        assert services[name]["build"] == ".", name


def test_each_app_service_runs_its_process(services):
    assert _command(services["web"]) == "gunicorn liaison.wsgi"
    assert _command(services["worker"]).startswith("celery -A liaison worker")
    assert _command(services["beat"]).startswith("celery -A liaison beat")
    migrate = _command(services["migrate"])
    assert "manage.py migrate --noinput" in migrate
    assert "manage.py load_calendar" in migrate
    assert services["web"]["ports"] == ["8000:8000"]


def test_there_is_exactly_one_beat(services):
    beats = [name for name, service in services.items() if " beat" in _command(service)]

    assert beats == ["beat"]
    assert services["beat"]["deploy"]["replicas"] == 1
    # A worker with an embedded beat (-B) would be a second scheduler per worker.
    assert not re.search(r"(^|\s)(-B|--beat)(\s|$)", _command(services["worker"]))


def test_app_services_share_one_production_environment(services):
    for name in APP_SERVICES:
        environment = services[name]["environment"]
        assert environment["DATABASE_URL"].startswith("postgres://liaison:"), name
        assert environment["DATABASE_URL"].endswith("@db:5432/liaison"), name
        assert environment["REDIS_URL"] == "redis://redis:6379/0", name
        assert environment["DEBUG"] == "0", name
        assert environment["ALLOWED_HOSTS"].startswith("${ALLOWED_HOSTS"), name
        assert environment["EMAIL_URL"].startswith("${EMAIL_URL"), name
        # Secrets come only from the environment, and compose refuses to start without them.
        assert environment["SECRET_KEY"].startswith("${SECRET_KEY:?"), name
        assert "${POSTGRES_PASSWORD:?" in environment["DATABASE_URL"], name
    assert services["db"]["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")


def test_every_long_running_service_has_a_health_check(services):
    assert "pg_isready" in " ".join(services["db"]["healthcheck"]["test"])
    assert services["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    # web uses the image's HEALTHCHECK (GET /healthz); worker and beat run the
    # same image, so they must replace it or they would never be healthy.
    assert "healthcheck" not in services["web"]
    worker_check = services["worker"]["healthcheck"]["test"]
    assert worker_check[0] == "CMD-SHELL"
    assert "inspect ping --destination celery@$$HOSTNAME" in worker_check[1]
    assert "ensure_connection" in " ".join(services["beat"]["healthcheck"]["test"])
    assert services["migrate"]["healthcheck"] == {"disable": True}


def test_app_services_start_after_healthy_services_and_migrations(services):
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"] == {
            "db": {"condition": "service_healthy"},
            "redis": {"condition": "service_healthy"},
            "migrate": {"condition": "service_completed_successfully"},
        }, name
    assert services["migrate"]["depends_on"] == {
        "db": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
    }
    assert services["migrate"]["restart"] == "no"


def test_data_and_uploads_live_in_named_volumes(compose, services):
    assert set(compose["volumes"]) == {"pgdata", "redisdata", "uploads"}
    assert services["db"]["volumes"] == ["pgdata:/var/lib/postgresql/data"]
    assert services["redis"]["volumes"] == ["redisdata:/data"]
    # The worker processes the files that web receives: both see the same MEDIA_ROOT.
    assert services["web"]["volumes"] == ["uploads:/app/var/uploads"]
    assert services["worker"]["volumes"] == ["uploads:/app/var/uploads"]


def test_the_dockerfile_builds_a_slim_non_root_gunicorn_image(dockerfile):
    assert dockerfile[0] == "FROM python:3.11-slim"
    assert "RUN pip install -r requirements.txt" in dockerfile
    assert "MEDIA_ROOT=/app/var/uploads" in _instructions(dockerfile, "ENV")[0]
    (collectstatic,) = [line for line in dockerfile if "collectstatic" in line]
    assert collectstatic.startswith("RUN DEBUG=0 SECRET_KEY=")
    assert "python manage.py collectstatic --noinput" in collectstatic
    assert _instructions(dockerfile, "USER") == ["USER liaison"]
    # The user is switched after the build steps and before the process starts.
    assert dockerfile.index("USER liaison") > dockerfile.index(collectstatic)
    assert json.loads(_instructions(dockerfile, "CMD")[-1].removeprefix("CMD ")) == [
        "gunicorn",
        "liaison.wsgi",
    ]


def test_the_image_health_check_asks_healthz(dockerfile):
    (healthcheck,) = _instructions(dockerfile, "HEALTHCHECK")
    command = json.loads(healthcheck[healthcheck.index(" CMD ") + len(" CMD ") :])

    assert command[:2] == ["python", "-c"]
    compile(command[2], "HEALTHCHECK", "exec")
    assert "'http://127.0.0.1:8000/healthz'" in command[2]
    # With a Host header Django accepts: the first of ALLOWED_HOSTS.
    assert "os.environ.get('ALLOWED_HOSTS'" in command[2]


def test_the_build_context_leaves_local_state_and_secrets_out():
    ignored = (BASE_DIR / ".dockerignore").read_text().split()

    assert {".git", ".venv", "var", ".env"} <= set(ignored)


def test_the_dockerfile_s_collectstatic_works_with_debug_off(tmp_path, dockerfile):
    # The build step, run here: the manifest storage fails on a missing reference.
    (collectstatic,) = [line for line in dockerfile if "collectstatic" in line]
    secret_key = re.search(r"SECRET_KEY=(\S+)", collectstatic).group(1)
    environment = {
        "PATH": os.environ["PATH"],
        "DEBUG": "0",
        "SECRET_KEY": secret_key,
        "LIAISON_VAR_DIR": str(tmp_path / "var"),
        "STATIC_ROOT": str(tmp_path / "static"),
    }

    process = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert process.returncode == 0, process.stderr
    assert (tmp_path / "static" / "staticfiles.json").is_file()
