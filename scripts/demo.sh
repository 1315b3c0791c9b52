#!/usr/bin/env bash
# Install rlipv2, then run the main job on the embedded demo world: generate it (images, COCO
# instances + captions JSON, Visual Genome relations), ingest it into versioned Parquet tables,
# turn its captions into relation candidates (parse -> match), train a tiny R-Tagger on its human
# relations, tag the candidates into pseudo-labelled scene graphs, and pretrain a tiny RLIPv2 on
# human + pseudo-labelled scene graphs, all under runs/demo/ (a few minutes on a CPU).
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
bash scripts/bootstrap.sh

out="runs/demo"  # configs/pretrain_demo.toml reads from here
.venv/bin/rlipv2 demo-data "$out/world" --images 64 --seed 0
.venv/bin/rlipv2 ingest coco "$out/world/annotations/instances.json" \
    --captions "$out/world/annotations/captions.json" \
    --image-root "$out/world/images" --dataset demo --split train --out "$out/ingested/demo" --overwrite
.venv/bin/rlipv2 ingest vg "$out/world/vg/image_data.json" \
    --objects "$out/world/vg/objects.json" --relationships "$out/world/vg/relationships.json" \
    --image-root "$out/world/images" --dataset demo_vg --split train --out "$out/ingested/demo_vg" --overwrite
.venv/bin/rlipv2 candidates "$out/ingested/demo" --vocabulary demo \
    --ground-truth "$out/ingested/demo_vg" --out "$out/candidates" --overwrite
# Offline there is no roberta-base: a small random RoBERTa stands in (configs/pretrain_demo.toml).
.venv/bin/rlipv2 tiny-text-encoder "$out/text_encoder" --scene-graphs "$out/ingested/demo_vg/scene_graphs"
rm -rf "$out/tagger" "$out/pretrain"
.venv/bin/rlipv2 train-tagger --config configs/tagger_demo.toml
.venv/bin/rlipv2 tag "$out/ingested/demo" --candidates "$out/candidates" \
    --checkpoint "$out/tagger/checkpoints/checkpoint-000003.pt" --out "$out/tagged" --overwrite
.venv/bin/rlipv2 pretrain --config configs/pretrain_demo.toml
echo "demo: tables under $out/{ingested,candidates,tagged}; checkpoints under $out/{tagger,pretrain}"
