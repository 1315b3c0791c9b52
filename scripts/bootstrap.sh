#!/usr/bin/env bash
# Create or refresh the project's virtualenv in .venv, idempotently.
#
# torch is installed first and pinned to 2.13.0 (a CPU wheel available offline): any
# other torch request would pull a multi-GB CUDA build. The install is skipped when
# neither pyproject.toml nor this script changed since the last successful run.
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

python_bin="${RLIPV2_PYTHON:-$(command -v python3.11 || command -v python3)}"
venv=".venv"
stamp="$venv/.rlipv2-install-stamp"
wanted="$(cat pyproject.toml scripts/bootstrap.sh | sha256sum | cut -d' ' -f1)"

if [ ! -x "$venv/bin/python" ]; then
    echo "bootstrap: creating $venv with $python_bin" >&2
    "$python_bin" -m venv "$venv"
fi
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
    exit 0
fi
export PIP_DISABLE_PIP_VERSION_CHECK=1
echo "bootstrap: installing torch==2.13.0 (CPU) first, then rlipv2 and its dependencies" >&2
"$venv/bin/python" -m pip install --quiet "torch==2.13.0"
"$venv/bin/python" -m pip install --quiet -e ".[test]"
echo "$wanted" > "$stamp"
echo "bootstrap: $venv is ready" >&2
