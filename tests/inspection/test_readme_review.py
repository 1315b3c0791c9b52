"""The README's "Reviewing in Label Studio and comparing runs" snippet runs as written against a
small label run laid out where ``bash scripts/demo.sh`` puts it, with a reviewer's Label Studio
export where the snippet says it is saved."""

import json
import re
import subprocess
from pathlib import Path

from export import LabelStudioExport, export_run
from export.label_studio import TASKS_FILE
from label_run import shared_label_run
from label_studio_review import review

REPOSITORY = Path(__file__).resolve().parents[2]
SECTION = "## Reviewing in Label Studio and comparing runs"


def test_review_snippet_runs(tmp_path_factory) -> None:
    readme = (REPOSITORY / "README.md").read_text()
    start = readme.index(f"\n{SECTION}\n")
    end = readme.find("\n## ", start + len(SECTION) + 2)
    [snippet] = re.findall(r"^```bash\n(.*?)^```$", readme[start:end if end != -1 else None],
                           flags=re.DOTALL | re.MULTILINE)
    run = shared_label_run(tmp_path_factory)
    workdir = tmp_path_factory.mktemp("readme_review")
    demo = workdir / "runs" / "demo"
    (demo / "world").mkdir(parents=True)
    (demo / "label").symlink_to(run.label_dir)
    (demo / "world" / "images").symlink_to(run.images_dir)
    (workdir / ".venv").symlink_to(REPOSITORY / ".venv")
    tasks_dir = workdir / "tasks"
    export_run(run.label_dir, tasks_dir, LabelStudioExport())
    exported, _ = review(json.loads((tasks_dir / TASKS_FILE).read_text()))
    (demo / "label-studio-export.json").write_text(json.dumps(exported))
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", snippet], cwd=workdir, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "relations_accepted" in result.stdout and "predicates at 0.5" in result.stdout
    assert (demo / "reviewed" / "scene_graphs").is_dir()
