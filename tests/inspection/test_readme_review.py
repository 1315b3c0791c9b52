"""The snippet of docs/review.md runs as written against a
small label run laid out where ``bash scripts/demo.sh`` puts it, with a reviewer's Label Studio
export where the snippet says it is saved."""

import json
import subprocess

from export import LabelStudioExport, export_run
from export.label_studio import TASKS_FILE
from doc_pages import REPOSITORY, code_blocks, page_text
from label_run import shared_label_run
from label_studio_review import review



def test_review_snippet_runs(tmp_path_factory) -> None:
    [(_, snippet)] = code_blocks(page_text("docs/review.md"), "bash")
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
