"""Personas for the service tests: those of the issues tests, and a commissioner (a
member of another department) who serves `enterprise`."""

from __future__ import annotations

import pytest

from service import services
from tests.issues.conftest import *  # noqa: F403  (the personas and make_problem)
from tests.issues.conftest import make_user


@pytest.fixture
def commissioner(other_department):
    from liaison.models import Role

    return make_user("commissioner", Role.DEPARTMENT_STAFF, department=other_department)


@pytest.fixture
def assigned(office, enterprise, commissioner):
    return services.commissioner_assign(
        actor=office, enterprise=enterprise, commissioner=commissioner
    )


@pytest.fixture(autouse=True)
def english():
    """Refusals are matched in English; the default language is Chinese."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def client(client):
    """Pages read in English."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client
