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
APP_SERVICES = ("migrate", "web", "worker", "mailer", "beat")
NGINX_CONF = BASE_DIR / "deploy" / "nginx.conf"


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


def _nginx_directives(text: str) -> list[str]:
    """nginx.conf's directives, one string each, without comments or extra blanks."""
    without_comments = re.sub(r"#[^\n]*", "", text)
    return [" ".join(part.split()) for part in re.split(r"[;{}]", without_comments) if part.strip()]


@pytest.fixture(scope="module")
def nginx() -> list[str]:
    return _nginx_directives(NGINX_CONF.read_text())


def test_it_has_the_whole_stack(services):
    assert set(services) == {"db", "replica", "redis", "proxy", "backup", *APP_SERVICES}
    assert services["proxy"]["image"].startswith("nginx:")
    assert services["db"]["image"] == "postgres:16"
    assert services["redis"]["image"] == "redis:7"
    for name in APP_SERVICES:
        assert services[name]["build"] == ".", name


def test_each_app_service_runs_its_process(services):
    assert _command(services["web"]) == "gunicorn liaison.wsgi"
    assert _command(services["worker"]).startswith("celery -A liaison worker")
    assert _command(services["mailer"]).startswith("celery -A liaison worker")
    assert _command(services["beat"]).startswith("celery -A liaison beat")
    migrate = _command(services["migrate"])
    assert "manage.py migrate --noinput" in migrate
    assert "manage.py load_calendar" in migrate


def test_the_sweep_and_delivery_have_workers_of_their_own(services):
    # A mail server that never answers must not hold up the deadline sweep.
    assert "--queues=deadlines,celery" in _command(services["worker"]).split()
    assert "--queues=notifications" in _command(services["mailer"]).split()


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
    assert "inspect ping --destination deadlines@$$HOSTNAME" in worker_check[1]
    mailer_check = services["mailer"]["healthcheck"]["test"]
    assert "inspect ping --destination notifications@$$HOSTNAME" in mailer_check[1]
    # Readiness (/readyz's checks: database, broker, a worker's heartbeat, the sweep,
    # the dashboard summary) where compose has a place for it: beat, which schedules them.
    assert services["beat"]["healthcheck"]["test"] == ["CMD", "python", "manage.py", "readyz"]
    assert services["migrate"]["healthcheck"] == {"disable": True}


def test_app_services_start_after_healthy_services_and_migrations(services):
    after_migrate = {
        "db": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
        "migrate": {"condition": "service_completed_successfully"},
    }
    for name in ("worker", "mailer", "beat"):
        assert services[name]["depends_on"] == after_migrate, name
    # web also after the replica has started, not waiting for it to be healthy: its pages
    # read from db while the replica makes its first copy or is down.
    assert services["web"]["depends_on"] == {
        **after_migrate,
        "replica": {"condition": "service_started"},
    }
    assert services["migrate"]["depends_on"] == {
        "db": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
    }
    assert services["migrate"]["restart"] == "no"


def test_data_and_uploads_live_in_named_volumes(compose, services):
    assert set(compose["volumes"]) == {"pgdata", "replicadata", "redisdata", "uploads", "backups"}
    assert services["db"]["volumes"][0] == "pgdata:/var/lib/postgresql/data"
    assert services["replica"]["volumes"][0] == "replicadata:/var/lib/postgresql/data"
    assert services["redis"]["volumes"] == ["redisdata:/data"]
    # The worker processes the files that web receives: both see the same MEDIA_ROOT.
    assert services["web"]["volumes"] == ["uploads:/app/var/uploads"]
    assert services["worker"]["volumes"] == ["uploads:/app/var/uploads"]


def test_the_dockerfile_builds_a_slim_non_root_gunicorn_image(dockerfile):
    assert dockerfile[0] == "FROM python:3.11-slim"
    assert "RUN pip install -r requirements.txt" in dockerfile
    assert not any("requirements-dev" in line for line in dockerfile)
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


# --- Backups: deploy/backup.sh in the official postgres image -------------------------


def test_the_backup_service_dumps_the_database_with_the_repository_s_script(services):
    backup = services["backup"]

    # The server's own image: pg_dump of the same major version as the server.
    assert backup["image"] == services["db"]["image"]
    assert backup["command"] == ["sh", "/usr/local/bin/liaison-backup"]
    assert "./deploy/backup.sh:/usr/local/bin/liaison-backup:ro" in backup["volumes"]
    assert "./deploy/restore.sh:/usr/local/bin/liaison-restore:ro" in backup["volumes"]
    assert (BASE_DIR / "deploy" / "backup.sh").is_file()
    assert (BASE_DIR / "deploy" / "restore.sh").is_file()
    assert backup["restart"] == "unless-stopped"
    assert "ports" not in backup


def test_the_backup_service_writes_to_its_volume_on_a_schedule_from_the_environment(services):
    backup = services["backup"]
    environment = backup["environment"]

    assert "backups:/backups" in backup["volumes"]
    assert environment["BACKUP_DIR"] == "/backups"
    assert environment["BACKUP_INTERVAL_SECONDS"] == "${BACKUP_INTERVAL_SECONDS:-86400}"
    assert environment["BACKUP_KEEP_DAYS"] == "${BACKUP_KEEP_DAYS:-14}"
    # The app's database, as the app's user, with the one password from the environment.
    assert environment["PGHOST"] == "db"
    assert environment["PGUSER"] == services["db"]["environment"]["POSTGRES_USER"]
    assert environment["PGDATABASE"] == services["db"]["environment"]["POSTGRES_DB"]
    assert environment["PGPASSWORD"].startswith("${POSTGRES_PASSWORD:?")


def test_the_backup_service_waits_for_the_database_and_checks_its_newest_dump(services):
    backup = services["backup"]

    assert backup["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert backup["healthcheck"]["test"] == ["CMD", "sh", "/usr/local/bin/liaison-backup", "check"]


# --- The read replica: a streaming copy of db, deploy/replica.sh in the postgres image ----


def test_the_app_reads_what_may_lag_from_the_replica_service(services):
    for name in APP_SERVICES:
        environment = services[name]["environment"]
        url = environment["DATABASE_REPLICA_URL"]
        assert url.startswith("postgres://liaison:${POSTGRES_PASSWORD:?"), name
        assert url.endswith("@replica:5432/liaison"), name
        # Same user, password and database as DATABASE_URL: only the host differs.
        assert url.replace("@replica:", "@db:") == environment["DATABASE_URL"], name
        assert environment["LIAISON_REPLICA_PIN_SECONDS"] == "${LIAISON_REPLICA_PIN_SECONDS:-10}"
        # The pin lives in Redis (the settings refuse a replica without REDIS_URL).
        assert environment["REDIS_URL"], name


def test_the_replica_copies_db_with_the_repository_s_script_and_follows_it(services):
    replica, db = services["replica"], services["db"]

    # The same server as db: a standby must be of the primary's major version.
    assert replica["image"] == db["image"]
    assert replica["entrypoint"] == ["sh", "/usr/local/bin/liaison-replica"]
    assert "./deploy/replica.sh:/usr/local/bin/liaison-replica:ro" in replica["volumes"]
    environment = replica["environment"]
    assert environment["PGHOST"] == "db"
    assert environment["PGUSER"] == db["environment"]["POSTGRES_USER"]
    assert environment["PGPASSWORD"].startswith("${POSTGRES_PASSWORD:?")
    # A folder inside the volume: the copy is made beside it and moved into place.
    assert environment["PGDATA"].startswith("/var/lib/postgresql/data/")
    assert replica["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert "pg_isready" in " ".join(replica["healthcheck"]["test"])
    assert replica["restart"] == "unless-stopped"
    assert "ports" not in replica
    script = (BASE_DIR / "deploy" / "replica.sh").read_text()
    assert "pg_basebackup" in script and "--write-recovery-conf" in script
    assert "--wal-method=stream" in script
    assert "hot_standby=on" in script
    process = subprocess.run(["sh", "-n", BASE_DIR / "deploy" / "replica.sh"], capture_output=True)
    assert process.returncode == 0, process.stderr


def test_db_lets_the_replica_connect_for_replication_with_the_password(services):
    db = services["db"]

    assert "./deploy/pg_hba.conf:/etc/postgresql/pg_hba.conf:ro" in db["volumes"]
    command = db["command"]
    assert command[0] == "postgres"
    assert "hba_file=/etc/postgresql/pg_hba.conf" in command
    assert any(option.startswith("wal_keep_size=") for option in command)
    rules = [
        line.split()
        for line in (BASE_DIR / "deploy" / "pg_hba.conf").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert ["host", "replication", "all", "all", "scram-sha-256"] in rules
    # From outside the container, nothing without the password.
    for rule in rules:
        if rule[0] == "host" and rule[3] not in ("127.0.0.1/32", "::1/128"):
            assert rule[-1] == "scram-sha-256", rule


# --- The reverse proxy: the one way in, and the one hop the app trusts -----------------


def test_only_the_proxy_publishes_a_port(services):
    published = {name: service["ports"] for name, service in services.items() if "ports" in service}

    assert list(published) == ["proxy"]
    (port,) = published["proxy"]
    assert port.endswith(":80")
    # The app server listens on the compose network only, where the proxy reaches it.
    assert services["web"]["expose"] == ["8000"]
    assert services["proxy"]["depends_on"] == {"web": {"condition": "service_started"}}


def test_the_app_trusts_exactly_the_one_proxy_in_front_of_it(services):
    # nginx replaces X-Forwarded-For with the address it saw, so one hop is right
    # and nothing a client sends can change it: it is not read from the environment.
    for name in APP_SERVICES:
        assert services[name]["environment"]["LIAISON_TRUSTED_PROXIES"] == "1", name


def test_the_proxy_runs_the_repository_s_nginx_conf(services):
    assert services["proxy"]["volumes"] == ["./deploy/nginx.conf:/etc/nginx/nginx.conf:ro"]
    assert NGINX_CONF.is_file()


def test_nginx_replaces_the_forwarded_headers_instead_of_passing_the_client_s_on(nginx):
    text = NGINX_CONF.read_text()

    assert "proxy_set_header X-Forwarded-For $remote_addr" in nginx
    assert "proxy_set_header X-Forwarded-Proto $scheme" in nginx
    assert "proxy_set_header Host $http_host" in nginx
    # Appending would keep a forged first entry; the app reads the last one, but only
    # because nothing else can be there.
    assert "$proxy_add_x_forwarded_for" not in re.sub(r"#[^\n]*", "", text)
    assert [d for d in nginx if d.startswith("proxy_set_header X-Forwarded-For")] == [
        "proxy_set_header X-Forwarded-For $remote_addr"
    ]


def test_nginx_only_proxies_to_the_app(nginx):
    assert "listen 80 default_server" in nginx
    assert [d for d in nginx if d.startswith("proxy_pass")] == ["proxy_pass $app"]
    assert "set $app http://web:8000" in nginx
    # Serves no files of its own: WhiteNoise serves the static files, uploads only
    # ever go through the app's permission checks.
    for directive in ("root", "alias", "autoindex", "include", "index"):
        assert not [d for d in nginx if d.split()[0] == directive], directive
    assert "server_tokens off" in nginx


def test_nginx_refuses_bodies_over_the_app_s_upload_limit(nginx):
    # Ten attachments of 20 MB and the form around them; larger bodies are refused
    # (413) from their Content-Length, before they are read.
    assert [d for d in nginx if d.startswith("client_max_body_size")] == [
        "client_max_body_size 210m"
    ]


def _pinned(path: Path) -> dict[str, str]:
    names = {}
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-r"):
            name, version = line.split("==")
            names[name.lower().replace("_", "-")] = version
    return names


def test_the_image_carries_no_test_tools_and_the_tools_add_to_production():
    """requirements.txt is what production runs; requirements-dev.txt adds tests and tools."""
    root = Path(__file__).resolve().parent.parent
    production = _pinned(root / "requirements.txt")
    dev = _pinned(root / "requirements-dev.txt")
    assert (root / "requirements-dev.txt").read_text().count("-r requirements.txt") == 1
    for tool in ("pytest", "pytest-django", "playwright", "ruff", "time-machine"):
        assert tool in dev and tool not in production
    # PyYAML was a test tool (this file reads the compose file with it); drf-spectacular,
    # which serves the API's schema, needs it in production now.
    for needed in (
        "django",
        "celery",
        "gunicorn",
        "psycopg2-binary",
        "redis",
        "openpyxl",
        "pyyaml",
    ):
        assert needed in production
    assert "filetype" not in production | dev  # nothing imports it
    assert not production.keys() & dev.keys()
