"""The access settings of ``rlipv2 server`` (the server itself: tests/flows/test_server_e2e.py)."""

import pytest

from data_schemas.errors import RLIPv2InputError
from flows.server_access import AUTH_STRING_VARIABLE, server_access


def test_a_new_random_auth_string_unless_the_environment_gives_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(AUTH_STRING_VARIABLE, raising=False)
    first, second = server_access(4200), server_access(4200)
    assert first.auth_string.startswith("rlipv2:") and first.auth_string != second.auth_string
    assert not first.from_environment
    monkeypatch.setenv(AUTH_STRING_VARIABLE, "me:secret")
    given = server_access(4200)
    assert given.auth_string == "me:secret" and given.from_environment
    monkeypatch.setenv(AUTH_STRING_VARIABLE, "")
    with pytest.raises(RLIPv2InputError, match="empty"):
        server_access(4200)


def test_only_the_ui_origins_csrf_protection_and_the_auth_string() -> None:
    access = server_access(4321)
    server = access.server_environment()
    assert server["PREFECT_SERVER_CORS_ALLOWED_ORIGINS"] == (
        "http://127.0.0.1:4321,http://localhost:4321"
    )
    assert server["PREFECT_SERVER_CSRF_PROTECTION_ENABLED"] == "true"
    assert server[AUTH_STRING_VARIABLE] == access.auth_string
    assert access.client_environment()["PREFECT_API_AUTH_STRING"] == access.auth_string
