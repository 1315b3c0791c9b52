"""``rlipv2 server``: a local Prefect server with the UI, serving the rlipv2 deployments."""

import argparse

from flows.cli_arguments import positive_int
from flows.server import DEFAULT_PORT, DEPLOYMENT_NAMES, running_server, serve_deployments
from flows.server_access import AUTH_STRING_VARIABLE, server_access


def configure(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``rlipv2 server``."""
    parser.description = (
        "Start a Prefect server (SQLite under PREFECT_HOME, bound to 127.0.0.1 only) and "
        "serve the label, train-tagger, pretrain, finetune and evaluate flows as deployments. "
        "Open the printed URL, pick a deployment, press Run and fill in its parameters; the runs execute in "
        "this process. Stop with Ctrl-C. The API answers only the UI's own origin and "
        f"requests with the auth string: printed at start, or ${AUTH_STRING_VARIABLE} if set."
    )
    parser.add_argument("--port", type=positive_int, default=DEFAULT_PORT,
                        help=f"port on 127.0.0.1 ({DEFAULT_PORT})")
    parser.set_defaults(handler=_run, prefect_logging=True)


def _run(arguments: argparse.Namespace) -> None:
    access = server_access(arguments.port)
    with running_server(access) as url:
        print(f"Prefect UI: {url.removesuffix('/api')}  deployments: {', '.join(DEPLOYMENT_NAMES)}")
        credential = f"${AUTH_STRING_VARIABLE}" if access.from_environment else access.auth_string
        print(f"auth string (the UI asks for it once; API clients set PREFECT_API_AUTH_STRING): "
              f"{credential}", flush=True)
        serve_deployments(url, access)
