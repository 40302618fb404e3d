"""The fuzzers share the security tests' world (one per module, rolled back at its end)."""
from tests.security.conftest import keep_connection, shared_world  # noqa: F401
