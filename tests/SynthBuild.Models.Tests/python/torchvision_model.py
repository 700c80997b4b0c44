"""A torchvision Faster R-CNN (MobileNetV3-Large 320 FPN, random weights from a fixed seed: no download) exported to
ONNX, and its own PyTorch detections on a COCO set written as a results file.

usage: torchvision_model.py GT.json IMAGE_ROOT OUT.onnx OUT_DT.json OUT_GT.json

A model with random weights finds none of the dataset's objects (AP 0 everywhere, a weak comparison), so OUT_GT.json
adds, per image, three of its own detections shifted by a pixel as extra ground truth: AP then lies well inside
(0, 1) and a difference between PyTorch and ONNX Runtime would show.
"""
import json
import os
import sys
import warnings

import torch
import torchvision
from torchvision.io import ImageReadMode, read_image

warnings.filterwarnings("ignore")
gt_path, root, onnx_path, dt_path, mixed_path = sys.argv[1:6]
gt = json.load(open(gt_path))
num_classes = max(c["id"] for c in gt["categories"]) + 1

torch.manual_seed(0)
torch.set_num_threads(2)
model = torchvision.models.detection.fasterrcnn_mobilenet_v3_large_320_fpn(
    weights=None, weights_backbone=None, num_classes=num_classes)
model.eval()

images = [(im["id"], read_image(os.path.join(root, im["file_name"]), ImageReadMode.RGB).float() / 255) for im in gt["images"]]

results = []
with torch.no_grad():
    for image_id, img in images:
        out = model([img])[0]
        for box, label, score in zip(out["boxes"].tolist(), out["labels"].tolist(), out["scores"].tolist()):
            x1, y1, x2, y2 = box
            results.append({"image_id": image_id, "category_id": label, "bbox": [x1, y1, x2 - x1, y2 - y1], "score": score})
json.dump(results, open(dt_path, "w"))

mixed = dict(gt)
extra, next_id = [], max([a["id"] for a in gt["annotations"]], default=0) + 1
for image_id, _ in images:
    mine = [r for r in results if r["image_id"] == image_id][:3]
    for r in mine:
        x, y, w, h = r["bbox"]
        extra.append({"id": next_id, "image_id": image_id, "category_id": r["category_id"], "bbox": [x + 1, y + 1, w, h],
                      "area": w * h, "iscrowd": 0})
        next_id += 1
mixed["annotations"] = gt["annotations"] + extra
json.dump(mixed, open(mixed_path, "w"))

torch.onnx.export(model, ([images[0][1]],), onnx_path, opset_version=11,
                  input_names=["images"], output_names=["boxes", "labels", "scores"],
                  dynamic_axes={"images": [1, 2], "boxes": [0], "labels": [0], "scores": [0]})
print(f"OK {len(results)} detections")
