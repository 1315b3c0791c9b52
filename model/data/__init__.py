"""Pre-training data: scene graphs (human and pseudo-labelled) -> transformed, collated batches.

Typical use::

    dataset = build_pretrain_dataset(config)  # cache_dir=...: keep the annotation stores
    vocabulary = build_label_vocabulary(dataset.annotations)
    loader = build_data_loader(
        dataset, collator=build_pretrain_collator(config, vocabulary), batch_size=4,
        shuffle=True, num_workers=2, seed=config.seed, distributed=False,
    )
"""

from data_schemas.lazy_exports import lazy_exports

__getattr__, __all__ = lazy_exports(
    __name__,
    {
        "collate": ("PretrainBatch", "PretrainCollator", "pad_images", "relation_target"),
        "data_loader": ("build_data_loader", "set_loader_epoch"),
        "label_vocabulary": (
            "LabelVocabulary",
            "NegativeSampling",
            "TextSamplingConfig",
            "build_label_vocabulary",
            "sample_label_texts",
            "sample_negatives",
        ),
        "pretrain_data": (
            "PretrainDataConfig",
            "TrainingData",
            "build_pretrain_collator",
            "build_pretrain_dataset",
            "build_training_loader",
            "read_training_annotations",
        ),
        "annotation_build": ("ImagesWithoutRelations",),
        "image_annotation": ("ImageAnnotation", "RelationPair", "UnrelatedEntity"),
        "scene_graph_annotations": (
            "AnnotationReading",
            "RelationFilterCounts",
            "SceneGraphSource",
            "StartupTimes",
            "read_scene_graph_annotations",
        ),
        "training_annotations": ("TrainingAnnotations",),
        "image_files": ("DECODE_ERRORS", "ImageFileError", "image_file_problem", "load_rgb_image"),
        "scene_graph_dataset": ("PretrainSample", "SceneGraphDataset", "SceneGraphSample"),
        "transforms": (
            "CropConfig",
            "CropRegion",
            "PairedTransform",
            "TransformConfig",
            "TransformedImage",
            "build_eval_transform",
            "build_train_transform",
            "crop",
            "horizontal_flip",
            "image_to_normalised_tensor",
            "mirror_left_right",
            "resize",
            "resized_size",
            "xyxy_to_normalised_cxcywh",
        ),
    },
)
