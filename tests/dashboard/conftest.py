# The dashboard's tests use the core's district (tests/liaison/conftest.py).
from tests.liaison.conftest import *  # noqa: F403
