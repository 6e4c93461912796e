# The outbox's tests write problems' events: the personas and make_problem of tests/issues.
from tests.issues.conftest import *  # noqa: F403
