"""Label texts of a batch: present names, frequency-sampled negatives, "no objects"."""

import torch

from model.data import (
    SceneGraphSource,
    TextSamplingConfig,
    build_label_vocabulary,
    read_scene_graph_annotations,
    sample_label_texts,
)
from model.targets import NO_OBJECT_TEXT
from scene_graph_tables import VOCABULARY


def test_label_texts_union_then_negatives_then_no_objects() -> None:
    texts = sample_label_texts(
        ["thing 3", "thing 5", "thing 3"], ["riding", "riding"],
        vocabulary=VOCABULARY, config=TextSamplingConfig(total_texts=9),
        generator=torch.Generator().manual_seed(0),
    )
    assert texts.entity_texts[:2] == ("thing 3", "thing 5")
    assert len(texts.entity_texts) == 6 + 1 and texts.entity_texts[-1] == NO_OBJECT_TEXT
    assert texts.relation_texts[0] == "riding" and len(texts.relation_texts) == 3
    assert len(set(texts.entity_texts)) == len(texts.entity_texts)
    assert len(set(texts.relation_texts)) == len(texts.relation_texts)


def test_negatives_follow_frequency_and_seed() -> None:
    def draw(seed: int, strategy: str = "frequency"):
        return sample_label_texts(
            ["thing 0"], ["riding"], vocabulary=VOCABULARY,
            config=TextSamplingConfig(total_texts=4, negative_sampling=strategy),
            generator=torch.Generator().manual_seed(seed),
        )

    draws = [draw(seed) for seed in range(40)]
    assert sum(texts.entity_texts[1] == "person" for texts in draws) >= 38
    assert sum(texts.relation_texts[1] == "on" for texts in draws) >= 38
    assert draw(7) == draw(7)
    assert len({draw(seed, "uniform").entity_texts for seed in range(10)}) > 1


def test_batch_texts_beyond_the_budget_are_all_kept() -> None:
    names = [f"thing {index}" for index in range(12)]
    texts = sample_label_texts(names, ["on"], vocabulary=VOCABULARY,
                               config=TextSamplingConfig(total_texts=6),
                               generator=torch.Generator().manual_seed(0))
    assert texts.entity_texts == tuple(names) + (NO_OBJECT_TEXT,)
    assert texts.relation_texts[0] == "on" and len(texts.relation_texts) == 2


def test_vocabulary_counts_entities_and_predicates(mixed_source: SceneGraphSource) -> None:
    annotations = read_scene_graph_annotations(mixed_source, relation_threshold=0.0).annotations
    vocabulary = build_label_vocabulary(annotations)
    assert dict(vocabulary.entity_counts) == {"man": 1, "horse": 1, "hat": 1, "cup": 1, "table": 1}
    assert vocabulary.relation_counts[0] == ("on", 2)
    assert vocabulary.relation_names == ("on", "near", "riding", "under", "wearing")


