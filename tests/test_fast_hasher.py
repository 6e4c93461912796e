"""The tests hash passwords with the fast hasher (tests/conftest.py); production does not."""

import subprocess
import sys

from django.contrib.auth.hashers import check_password, make_password


def test_the_tests_hash_with_md5_and_still_verify_a_production_hash():
    assert make_password("liaison-demo").startswith("md5$")
    pbkdf2 = "pbkdf2_sha256$1000$salt$" + "x"  # malformed digest: only the lookup matters
    assert not check_password("liaison-demo", pbkdf2)  # found its hasher, did not raise


def test_the_settings_themselves_keep_the_production_hasher():
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.PASSWORD_HASHERS[0])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"DJANGO_SETTINGS_MODULE": "liaison.settings", "PATH": "/usr/bin:/bin", "DEBUG": "1"},
    ).stdout
    assert "PBKDF2PasswordHasher" in out
