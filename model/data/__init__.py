"""Pre-training data: scene graphs (human and pseudo-labelled) -> transformed, collated batches.

Typical use::

    dataset = build_pretrain_dataset(config)  # cache_dir=...: keep the annotation stores
    vocabulary = build_label_vocabulary(dataset.annotations)
    loader = build_data_loader(
        dataset, collator=build_pretrain_collator(config, vocabulary), batch_size=4,
        shuffle=True, num_workers=2, seed=config.seed, distributed=False,
    )
"""

from model.data.collate import PretrainBatch, PretrainCollator, pad_images, relation_target
from model.data.data_loader import build_data_loader, set_loader_epoch
from model.data.label_vocabulary import (
    LabelVocabulary,
    NegativeSampling,
    TextSamplingConfig,
    build_label_vocabulary,
    sample_label_texts,
    sample_negatives,
)
from model.data.pretrain_data import (
    PretrainDataConfig,
    TrainingData,
    build_pretrain_collator,
    build_pretrain_dataset,
    build_training_loader,
    read_training_annotations,
)
from model.data.annotation_build import ImagesWithoutRelations
from model.data.image_annotation import ImageAnnotation, RelationPair, UnrelatedEntity
from model.data.scene_graph_annotations import (
    AnnotationReading,
    RelationFilterCounts,
    SceneGraphSource,
    StartupTimes,
    read_scene_graph_annotations,
)
from model.data.training_annotations import TrainingAnnotations
from model.data.image_files import (
    DECODE_ERRORS,
    ImageFileError,
    image_file_problem,
    load_rgb_image,
)
from model.data.scene_graph_dataset import PretrainSample, SceneGraphDataset, SceneGraphSample
from model.data.transforms import (
    CropConfig,
    CropRegion,
    PairedTransform,
    TransformConfig,
    TransformedImage,
    build_eval_transform,
    build_train_transform,
    crop,
    horizontal_flip,
    image_to_normalised_tensor,
    mirror_left_right,
    resize,
    resized_size,
    xyxy_to_normalised_cxcywh,
)

__all__ = [
    "DECODE_ERRORS",
    "AnnotationReading",
    "CropConfig",
    "CropRegion",
    "ImageAnnotation",
    "ImageFileError",
    "ImagesWithoutRelations",
    "LabelVocabulary",
    "NegativeSampling",
    "PairedTransform",
    "PretrainBatch",
    "PretrainCollator",
    "PretrainDataConfig",
    "PretrainSample",
    "RelationFilterCounts",
    "RelationPair",
    "SceneGraphDataset",
    "SceneGraphSample",
    "SceneGraphSource",
    "StartupTimes",
    "TextSamplingConfig",
    "TrainingAnnotations",
    "TrainingData",
    "TransformConfig",
    "TransformedImage",
    "UnrelatedEntity",
    "build_data_loader",
    "build_eval_transform",
    "build_label_vocabulary",
    "build_pretrain_collator",
    "build_pretrain_dataset",
    "build_training_loader",
    "build_train_transform",
    "crop",
    "horizontal_flip",
    "image_file_problem",
    "image_to_normalised_tensor",
    "load_rgb_image",
    "mirror_left_right",
    "pad_images",
    "read_scene_graph_annotations",
    "read_training_annotations",
    "relation_target",
    "resize",
    "resized_size",
    "sample_label_texts",
    "sample_negatives",
    "set_loader_epoch",
    "xyxy_to_normalised_cxcywh",
]
