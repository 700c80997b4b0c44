#!/usr/bin/python3
"""Trains a torchvision Faster R-CNN from scratch on a SynthBuild COCO export (CPU), then exports it to ONNX in the
layout `synth model-eval` reads (boxes, labels, scores; labels are the dataset's category ids).

usage: train_detector.py --coco DIR [--images DIR] --out DIR [--arch tiny|mobilenet] [--epochs N]
                         [--max-iterations N] [--batch N] [--lr LR] [--min-size PX] [--max-size PX]
                         [--seed S] [--threads N]

  --coco DIR      the build's COCO export (exports/coco: instances_train.json, file_name relative to the dataset)
  --images DIR    where file_name is resolved (default: DIR/../.., the dataset folder the export sits in)
  --out DIR       writes model.onnx, metrics.json and class_map.json there
  --arch          tiny (default): a 4-stage conv backbone (stride 16, 64 channels) with a small box head, ~0.5M
                  parameters, seconds per epoch on tiny images; mobilenet: fasterrcnn_mobilenet_v3_large_320_fpn
                  (19M parameters). Both from random weights: nothing is downloaded.
  --epochs N      passes over the train split (default 3); --max-iterations stops earlier (0 = no limit)
  --min-size, --max-size  the detector's internal resize (GeneralizedRCNNTransform; default 320 and 480)

metrics.json: {"epochs", "iterations", "images", "seconds", "loss" (the last epoch's mean), "loss_per_epoch"
[one mean per epoch], "last_epoch": {each loss term's mean}, "parameters"}. Progress goes to stdout, one line per
epoch, flushed, so a build streams it as it comes. Same data, options, seed and thread count on the same machine and
torch build give the same numbers.
"""
import argparse
import json
import os
import sys
import time
import warnings

import torch
import torchvision
from torch import nn
from torchvision.io import ImageReadMode, read_image
from torchvision.models.detection import FasterRCNN
from torchvision.models.detection.faster_rcnn import FastRCNNPredictor, TwoMLPHead
from torchvision.models.detection.rpn import AnchorGenerator
from torchvision.ops import MultiScaleRoIAlign

warnings.filterwarnings("ignore")


def fail(message):
    print(f"train_detector.py: error: {message}", file=sys.stderr, flush=True)
    sys.exit(2)


def parse():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--coco", required=True)
    p.add_argument("--images")
    p.add_argument("--out", required=True)
    p.add_argument("--arch", choices=["tiny", "mobilenet"], default="tiny")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--max-iterations", type=int, default=0)
    p.add_argument("--batch", type=int, default=2)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--min-size", type=int, default=320)
    p.add_argument("--max-size", type=int, default=480)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    if a.epochs < 1 or a.batch < 1 or a.max_iterations < 0 or a.min_size < 16 or a.max_size < a.min_size:
        fail("--epochs and --batch must be at least 1, --max-iterations at least 0, 16 <= --min-size <= --max-size")
    return a


def load_split(coco_dir, images_root, split):
    path = os.path.join(coco_dir, f"instances_{split}.json")
    if not os.path.isfile(path):
        fail(f"{path}: not found (declare <SynthExport Include=\"coco\" /> and a {split} split)")
    gt = json.load(open(path))
    by_image = {im["id"]: [] for im in gt["images"]}
    for a in gt["annotations"]:
        x, y, w, h = a["bbox"]
        if a.get("iscrowd", 0) == 0 and w >= 1 and h >= 1:
            by_image[a["image_id"]].append(([x, y, x + w, y + h], a["category_id"]))
    samples = []
    for im in gt["images"]:
        img = read_image(os.path.join(images_root, im["file_name"]), ImageReadMode.RGB).float() / 255
        objs = by_image[im["id"]]
        boxes = torch.tensor([b for b, _ in objs], dtype=torch.float32).reshape(-1, 4)
        labels = torch.tensor([c for _, c in objs], dtype=torch.int64)
        samples.append((img, {"boxes": boxes, "labels": labels}))
    return gt["categories"], samples


def tiny_backbone():
    def stage(cin, cout):
        return nn.Sequential(nn.Conv2d(cin, cout, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))
    backbone = nn.Sequential(stage(3, 16), stage(16, 32), stage(32, 64), stage(64, 64))
    backbone.out_channels = 64
    return backbone


def build_model(arch, num_classes, min_size, max_size):
    if arch == "mobilenet":
        return torchvision.models.detection.fasterrcnn_mobilenet_v3_large_320_fpn(
            weights=None, weights_backbone=None, num_classes=num_classes, min_size=min_size, max_size=max_size)
    anchors = AnchorGenerator(sizes=((8, 16, 32, 64, 128),), aspect_ratios=((0.5, 1.0, 2.0),))
    pool = MultiScaleRoIAlign(featmap_names=["0"], output_size=7, sampling_ratio=2)
    return FasterRCNN(tiny_backbone(), min_size=min_size, max_size=max_size, rpn_anchor_generator=anchors,
                      box_roi_pool=pool, box_head=TwoMLPHead(64 * 7 * 7, 128),
                      box_predictor=FastRCNNPredictor(128, num_classes),
                      # Fewer proposals and sampled boxes than the defaults (2000 / 512), sized for small images.
                      rpn_pre_nms_top_n_train=300, rpn_post_nms_top_n_train=150, rpn_pre_nms_top_n_test=300,
                      rpn_post_nms_top_n_test=150, rpn_batch_size_per_image=64, box_batch_size_per_image=64)


def main():
    a = parse()
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    images_root = a.images or os.path.dirname(os.path.dirname(os.path.abspath(a.coco)))
    categories, train = load_split(a.coco, images_root, "train")
    if not train:
        fail(f"{a.coco}: the train split has no images")
    # Labels are category ids (ids count from 1; 0 is torchvision's background), so the ONNX model's labels need no
    # class map in model-eval; class_map.json spells the mapping out for tools that want one.
    num_classes = max(c["id"] for c in categories) + 1
    model = build_model(a.arch, num_classes, a.min_size, a.max_size)
    params = sum(p.numel() for p in model.parameters())
    print(f"train_detector: {a.arch}, {params} parameters, {len(train)} train images, {len(categories)} categories, "
          f"{a.epochs} epochs, batch {a.batch}", flush=True)

    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=a.lr, momentum=0.9, weight_decay=1e-4)
    generator = torch.Generator().manual_seed(a.seed)
    started, iterations, per_epoch, last_terms = time.monotonic(), 0, [], {}
    model.train()
    for epoch in range(a.epochs):
        order = torch.randperm(len(train), generator=generator).tolist()
        total, terms, batches = 0.0, {}, 0
        epoch_start = time.monotonic()
        for b in range(0, len(order), a.batch):
            if a.max_iterations and iterations >= a.max_iterations:
                break
            batch = [train[i] for i in order[b:b + a.batch]]
            losses = model([img for img, _ in batch], [t for _, t in batch])
            loss = sum(losses.values())
            if not torch.isfinite(loss):
                fail(f"loss is {loss.item()} at iteration {iterations + 1}: lower --lr")
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            iterations += 1
            batches += 1
            total += loss.item()
            for k, v in losses.items():
                terms[k] = terms.get(k, 0.0) + v.item()
        if batches == 0:
            break
        per_epoch.append(total / batches)
        last_terms = {k: v / batches for k, v in terms.items()}
        print(f"epoch {epoch + 1}/{a.epochs}: loss {per_epoch[-1]:.4f} ({batches} iterations, "
              f"{time.monotonic() - epoch_start:.1f} s)", flush=True)
    seconds = time.monotonic() - started

    os.makedirs(a.out, exist_ok=True)
    model.eval()
    example = train[0][0]
    onnx_path = os.path.join(a.out, "model.onnx")
    torch.onnx.export(model, ([example],), onnx_path, opset_version=11, input_names=["images"],
                      output_names=["boxes", "labels", "scores"],
                      dynamic_axes={"images": [1, 2], "boxes": [0], "labels": [0], "scores": [0]})
    json.dump({str(c["id"]): c["name"] for c in categories}, open(os.path.join(a.out, "class_map.json"), "w"), indent=1)
    metrics = {"epochs": len(per_epoch), "iterations": iterations, "images": len(train), "seconds": seconds,
               "parameters": params, "loss": per_epoch[-1] if per_epoch else None, "loss_per_epoch": per_epoch,
               "last_epoch": last_terms}
    # Written last: a run that dies before here leaves no metrics file, which the build reports.
    with open(os.path.join(a.out, "metrics.json"), "w") as f:
        json.dump(metrics, f, indent=1)
    print(f"train_detector: {iterations} iterations in {seconds:.1f} s, final loss {metrics['loss']:.4f} -> {onnx_path}", flush=True)


if __name__ == "__main__":
    main()
