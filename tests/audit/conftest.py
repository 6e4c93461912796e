"""The audit tests use the issues tests' personas and problems."""

from tests.issues.conftest import *  # noqa: F403 - fixtures
from tests.liaison.conftest import district  # noqa: F401 - a fixture
