"""deploy/backup.sh and deploy/restore.sh (docker-compose.yml's backup service), run here
against the real PostgreSQL with this machine's pg_dump and pg_restore."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import psycopg2
import pytest
from django.db import connection

from issues import workflow
from issues.models import Category, Problem
from liaison.models import Role
from tests.conftest import require_service
from tests.liaison.conftest import build_district

BASE_DIR = Path(__file__).resolve().parent.parent
BACKUP = BASE_DIR / "deploy" / "backup.sh"
RESTORE = BASE_DIR / "deploy" / "restore.sh"
DAY = 24 * 3600


def _run(script: Path, *args: str, env: dict) -> subprocess.CompletedProcess:
    # sh: the postgres image's /bin/sh is dash, as here; the scripts are POSIX.
    return subprocess.run(
        ["sh", str(script), *args], env=env, capture_output=True, text=True, timeout=120
    )


def _dumps(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.glob("liaison-*.dump"))


# --- Retention (no database needed) ------------------------------------------------------


@pytest.fixture
def backup_env(tmp_path) -> dict:
    return {
        "PATH": os.environ["PATH"],
        "BACKUP_DIR": str(tmp_path),
        "BACKUP_KEEP_DAYS": "7",
        "BACKUP_INTERVAL_SECONDS": "3600",
    }


def _dump_file(folder: Path, stamp: str, age_days: float) -> Path:
    path = folder / f"liaison-{stamp}.dump"
    path.write_bytes(b"PGDMP")
    then = time.time() - age_days * DAY
    os.utime(path, (then, then))
    return path


def test_retention_deletes_the_dumps_older_than_the_days_kept(tmp_path, backup_env):
    _dump_file(tmp_path, "20260101T020000Z", age_days=10)
    _dump_file(tmp_path, "20260104T020000Z", age_days=7.1)
    _dump_file(tmp_path, "20260105T020000Z", age_days=6.9)
    _dump_file(tmp_path, "20260110T020000Z", age_days=1)
    (tmp_path / "notes.txt").write_text("not a dump")
    old_other = tmp_path / "other.dump"
    old_other.write_bytes(b"x")
    os.utime(old_other, (time.time() - 30 * DAY,) * 2)

    process = _run(BACKUP, "prune", env=backup_env)

    assert process.returncode == 0, process.stderr
    assert _dumps(tmp_path) == ["liaison-20260105T020000Z.dump", "liaison-20260110T020000Z.dump"]
    # Only its own dumps.
    assert (tmp_path / "notes.txt").exists() and old_other.exists()
    assert "deleted liaison-20260101T020000Z.dump" in process.stderr


def test_retention_never_deletes_the_newest_dump(tmp_path, backup_env):
    # Backups have been failing for weeks: the last good dump stays.
    _dump_file(tmp_path, "20260101T020000Z", age_days=30)
    _dump_file(tmp_path, "20260102T020000Z", age_days=29)

    process = _run(BACKUP, "prune", env=backup_env)

    assert process.returncode == 0, process.stderr
    assert _dumps(tmp_path) == ["liaison-20260102T020000Z.dump"]


def test_a_failed_dump_leaves_no_file_and_deletes_nothing(tmp_path, backup_env):
    _dump_file(tmp_path, "20260101T020000Z", age_days=30)
    _dump_file(tmp_path, "20260102T020000Z", age_days=29)
    env = {**backup_env, "PGHOST": "127.0.0.1", "PGPORT": "1", "PGUSER": "nobody"}

    process = _run(BACKUP, "once", env=env)

    assert process.returncode != 0
    assert "pg_dump failed" in process.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "liaison-20260101T020000Z.dump",
        "liaison-20260102T020000Z.dump",
    ]


def test_the_health_check_wants_a_dump_younger_than_two_intervals(tmp_path, backup_env):
    assert _run(BACKUP, "check", env=backup_env).returncode == 1  # none yet
    _dump_file(tmp_path, "20260101T020000Z", age_days=3 * 3600 / DAY)
    assert _run(BACKUP, "check", env=backup_env).returncode == 1
    _dump_file(tmp_path, "20260102T020000Z", age_days=1.5 * 3600 / DAY)
    assert _run(BACKUP, "check", env=backup_env).returncode == 0


@pytest.mark.parametrize("name", ["BACKUP_KEEP_DAYS", "BACKUP_INTERVAL_SECONDS"])
@pytest.mark.parametrize("value", ["0", "seven", "-1", "2.5"])
def test_bad_settings_stop_the_script(tmp_path, backup_env, name, value):
    process = _run(BACKUP, "prune", env={**backup_env, name: value})

    assert process.returncode == 2
    assert name in process.stderr


# --- Dump and restore on PostgreSQL ------------------------------------------------------


def _require_postgresql_tools() -> None:
    require_service(connection.vendor == "postgresql", "the backup test needs PostgreSQL")
    missing = [
        tool for tool in ("pg_dump", "pg_restore", "createdb", "dropdb") if not shutil.which(tool)
    ]
    require_service(not missing, f"the backup test needs {', '.join(missing)}")
    server = connection.pg_version // 10000
    tool = subprocess.run(["pg_dump", "--version"], capture_output=True, text=True).stdout
    # pg_dump refuses a server newer than itself.
    require_service(
        int(tool.split()[-1].split(".")[0]) >= server,
        f"pg_dump ({tool.strip()}) is older than the server ({server})",
    )


def _libpq_env(database: str) -> dict:
    settings = connection.settings_dict
    env = {"PATH": os.environ["PATH"], "PGDATABASE": database}
    for variable, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER")):
        if settings.get(key):
            env[variable] = str(settings[key])
    if settings.get("PASSWORD"):
        env["PGPASSWORD"] = settings["PASSWORD"]
    return env


def _row_counts(**connect) -> dict[str, int]:
    with psycopg2.connect(**connect) as db, db.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        )
        tables = [name for (name,) in cursor.fetchall()]
        counts = {}
        for table in tables:
            cursor.execute(f'SELECT count(*) FROM "{table}"')
            counts[table] = cursor.fetchone()[0]
    db.close()
    return counts


def _connect_args(database: str) -> dict:
    settings = connection.settings_dict
    args = {"dbname": database, "user": settings["USER"], "host": settings["HOST"] or None}
    if settings.get("PORT"):
        args["port"] = settings["PORT"]
    if settings.get("PASSWORD"):
        args["password"] = settings["PASSWORD"]
    return args


@pytest.fixture
def restored_database():
    """A database name of the test's own, dropped at the end whatever happened."""
    name = f"liaison_restore_{uuid.uuid4().hex[:12]}"
    yield name
    subprocess.run(
        ["dropdb", "--if-exists", name],
        env=_libpq_env("postgres"),
        capture_output=True,
        timeout=60,
    )


@pytest.mark.django_db(transaction=True)
def test_a_dump_restored_into_a_new_database_has_the_same_rows(tmp_path, restored_database):
    _require_postgresql_tools()
    district = build_district()
    category = Category.objects.create(
        name_zh="环保", name_en="Environment", default_lead_department=district.department
    )
    enterprise_user = district.user(Role.ENTERPRISE)
    for serial in range(3):
        workflow.problem_submit(
            actor=enterprise_user,
            enterprise=district.enterprise,
            title=f"危废处置渠道不畅 {serial}",
            description="喷漆车间产生的漆渣无处处置，库存已近上限。",
            category=category,
        )
    source = connection.settings_dict["NAME"]
    env = {**_libpq_env(source), "BACKUP_DIR": str(tmp_path)}

    backup = _run(BACKUP, "once", env=env)

    assert backup.returncode == 0, backup.stderr
    (dump,) = _dumps(tmp_path)
    assert not list(tmp_path.glob("*.partial"))

    restore = _run(RESTORE, str(tmp_path / dump), restored_database, env=_libpq_env("postgres"))

    assert restore.returncode == 0, restore.stderr
    before = _row_counts(**_connect_args(source))
    after = _row_counts(**_connect_args(restored_database))
    assert after == before
    assert after[Problem._meta.db_table] == 3
    assert after["auth_user"] == len(district.users)
    assert after["django_migrations"] > 0

    # It never overwrites a database, the restored one included.
    again = _run(RESTORE, str(tmp_path / dump), restored_database, env=_libpq_env("postgres"))
    assert again.returncode != 0
    assert "already exists" in again.stderr
    assert _row_counts(**_connect_args(restored_database)) == after


def test_restore_refuses_a_file_that_is_not_a_dump(tmp_path, restored_database):
    not_a_dump = tmp_path / "liaison-20260101T020000Z.dump"
    not_a_dump.write_text("hello")

    process = _run(RESTORE, str(not_a_dump), restored_database, env={"PATH": os.environ["PATH"]})

    assert process.returncode == 1
    assert "not a pg_dump custom-format file" in process.stderr
