"""Two ranks on one host read the same scene graphs: the first builds the annotation store, the
other waits and maps the same files; both serve the same items."""

import json
import os
import subprocess
import sys
from pathlib import Path

from model.data import SceneGraphSource

RANK_PROGRAM = """
import json, sys
from pathlib import Path
import torch.distributed as dist
from model.data import SceneGraphSource, read_scene_graph_annotations

rank, store, table, images, cache = sys.argv[1:6]
dist.init_process_group("gloo", init_method=store, rank=int(rank), world_size=2)
reading = read_scene_graph_annotations(SceneGraphSource(Path(table), Path(images)),
                                       cache_dir=Path(cache))
(selection,) = reading.annotations.selections
print(json.dumps({
    "built": reading.times.pair_seconds > 0,
    "store": str(selection.store.directory),
    "images": [str(annotation.image_path) for annotation in reading.annotations],
    "pairs": [len(annotation.pairs) for annotation in reading.annotations],
}))
dist.destroy_process_group()
"""


def test_the_first_rank_of_a_host_builds_and_the_other_maps_its_store(
    demo_source: SceneGraphSource, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    arguments = [f"file://{tmp_path / 'rendezvous'}", str(demo_source.scene_graphs_dir),
                 str(demo_source.image_root), str(cache)]
    ranks = [
        subprocess.Popen([sys.executable, "-c", RANK_PROGRAM, str(rank), *arguments],
                         env=os.environ | {"LOCAL_RANK": str(rank)},
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for rank in range(2)
    ]
    try:
        outputs = [process.communicate(timeout=120) for process in ranks]
    finally:
        for process in ranks:
            process.kill()  # a rank left waiting for the other must not outlive the test
    assert [process.returncode for process in ranks] == [0, 0], outputs
    first, second = (json.loads(stdout.splitlines()[-1]) for stdout, _ in outputs)
    assert (first["built"], second["built"]) == (True, False)
    assert first["store"] == second["store"] and len(list(cache.iterdir())) == 1
    assert first["images"] == second["images"] and first["pairs"] == second["pairs"]
    assert len(first["images"]) == 8
