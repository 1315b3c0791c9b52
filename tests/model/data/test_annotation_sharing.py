"""Two ranks on one host read the same scene graphs: the first builds the annotation store, the
other waits and maps the same files; both serve the same items."""

import json
from pathlib import Path

from model.data import SceneGraphSource
from process_group import run_two_ranks

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
    outputs = run_two_ranks(RANK_PROGRAM, tmp_path, str(demo_source.scene_graphs_dir),
                            str(demo_source.image_root), str(cache))
    first, second = (json.loads(output.splitlines()[-1]) for output in outputs)
    assert (first["built"], second["built"]) == (True, False)
    assert first["store"] == second["store"] and len(list(cache.iterdir())) == 1
    assert first["images"] == second["images"] and first["pairs"] == second["pairs"]
    assert len(first["images"]) == 8
