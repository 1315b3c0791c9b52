"""Who may drive ``rlipv2 server``'s API: the UI's own origin, holding the auth string, with a
CSRF token.

A run reads and writes any path its parameters name, so a request the user did not make must
not start one. Binding to the loopback interface keeps other machines out, but not a web page
open in a browser on this host (or at the far end of an SSH port forward), which can send
requests to ``127.0.0.1``. Three of Prefect's server settings close that door:

- CORS allows only the UI's own origins (``http://127.0.0.1:PORT``, ``http://localhost:PORT``),
  so a browser refuses a foreign page's preflight and never sends its JSON request;
- every API request must carry the auth string (HTTP basic authentication), which a foreign
  page does not know; the UI asks for it once;
- every state-changing request must carry a CSRF token fetched by the same client, which a
  foreign page cannot read.
"""

import os
import secrets
from dataclasses import dataclass

from data_schemas.errors import RLIPv2InputError

AUTH_STRING_VARIABLE = "PREFECT_SERVER_API_AUTH_STRING"
"""Prefect's own setting of the server's auth string; when set, ``rlipv2 server`` uses it
rather than generating one."""
AUTH_USER = "rlipv2"


@dataclass(frozen=True)
class ServerAccess:
    """The access settings of a server on ``port``: the auth string (``user:password``)
    clients must send, and whether it came from :data:`AUTH_STRING_VARIABLE`."""

    port: int
    auth_string: str
    from_environment: bool

    def __post_init__(self) -> None:
        if not self.auth_string.strip():
            raise RLIPv2InputError(f"{AUTH_STRING_VARIABLE} is set but empty")

    @property
    def allowed_origins(self) -> tuple[str, ...]:
        """The origins the UI is served from: this port on the loopback address, by number
        and by name (what an SSH forward opened as ``localhost:PORT`` shows)."""
        return (f"http://127.0.0.1:{self.port}", f"http://localhost:{self.port}")

    def server_environment(self) -> dict[str, str]:
        """Environment variables of the server process."""
        return {
            "PREFECT_SERVER_CORS_ALLOWED_ORIGINS": ",".join(self.allowed_origins),
            "PREFECT_SERVER_CSRF_PROTECTION_ENABLED": "true",
            AUTH_STRING_VARIABLE: self.auth_string,
        }

    def client_environment(self) -> dict[str, str]:
        """Environment variables of the processes that call the API (the deployments' runner
        and the flow-run processes it starts)."""
        return {
            "PREFECT_API_AUTH_STRING": self.auth_string,
            "PREFECT_CLIENT_CSRF_SUPPORT_ENABLED": "true",
        }


def server_access(port: int) -> ServerAccess:
    """The access settings of a server on ``port``: the auth string from
    :data:`AUTH_STRING_VARIABLE`, or a new random one.

    Raises:
        RLIPv2InputError: the variable is set but empty.
    """
    given = os.environ.get(AUTH_STRING_VARIABLE)
    if given is not None:
        return ServerAccess(port, given, from_environment=True)
    return ServerAccess(port, f"{AUTH_USER}:{secrets.token_urlsafe(18)}", from_environment=False)
