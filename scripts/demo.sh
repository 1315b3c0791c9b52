#!/usr/bin/env bash
# Install rlipv2, then run the main job on the embedded demo world, all under runs/demo/ (a few
# minutes on a CPU): generate the world (images, COCO instances + captions JSON, Visual Genome
# relations), train a tiny R-Tagger on its human relations, then run the Prefect labelling flow
# end to end (`rlipv2 label`: ingest -> captions -> parse -> match -> tag -> Parquet scene
# graphs under runs/demo/label), which then pretrains a tiny RLIPv2 on human + pseudo-labelled
# scene graphs. Captions come from the dataset's captions JSON; with BLIP's weights in the
# Hugging Face cache, BLIP captions the images instead.
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
bash scripts/bootstrap.sh
export PREFECT_SERVER_ANALYTICS_ENABLED=false

out="runs/demo"  # configs/tagger_demo.toml and configs/pretrain_demo.toml read from here
.venv/bin/rlipv2 demo-data "$out/world" --images 64 --seed 0 --overwrite
.venv/bin/rlipv2 ingest vg "$out/world/vg/image_data.json" \
    --objects "$out/world/vg/objects.json" --relationships "$out/world/vg/relationships.json" \
    --image-root "$out/world/images" --dataset demo_vg --split train --out "$out/ingested/demo_vg" --overwrite
# Offline there is no roberta-base: a small random RoBERTa stands in (configs/*_demo.toml).
.venv/bin/rlipv2 tiny-text-encoder "$out/text_encoder" --scene-graphs "$out/ingested/demo_vg/scene_graphs" --overwrite
rm -rf "$out/tagger" "$out/pretrain"
.venv/bin/rlipv2 train-tagger --config configs/tagger_demo.toml

captioner=(--captioner existing)
if .venv/bin/python -c "from huggingface_hub import snapshot_download as s; s('Salesforce/blip-image-captioning-large', local_files_only=True)" 2>/dev/null; then
    captioner=(--captioner blip --num-captions 10)
fi
.venv/bin/rlipv2 label --dataset "$out/ingested/demo" \
    --coco-instances "$out/world/annotations/instances.json" \
    --coco-captions "$out/world/annotations/captions.json" --image-root "$out/world/images" \
    --dataset-name demo "${captioner[@]}" --vocabulary demo --images-per-shard 16 \
    --tagger-checkpoint "$out/tagger/checkpoints/checkpoint-000030.pt" --out "$out/label" \
    --then-pretrain configs/pretrain_demo.toml
# How good are the pseudo-labels? The demo world knows the true relations.
.venv/bin/rlipv2 demo-quality "$out/label" --world "$out/world"
echo "demo: scene graphs and the other tables under $out/label, checkpoints under" \
    "$out/{tagger,pretrain}"
echo "next: open $out/label/report/contact-sheet.png (images with relations at the 0.2 cut)," \
    "then run: .venv/bin/rlipv2 inspect $out/label"
