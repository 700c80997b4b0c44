"""A YOLOv8-layout ONNX model with seeded random candidates, and the reference decoding of them written with
torchvision.ops.batched_nms (Ultralytics' own NMS call).

usage: yolo_reference.py OUT.onnx OUT_REFERENCE.json SCORE_THRESHOLD NMS_IOU
The input is [1, 3, 64, 96] and the test's images are 96x64, so input pixels are image pixels (no resize).
"""
import json
import sys

import numpy as np
import onnx
import torch
import torchvision
from onnx import TensorProto, helper, numpy_helper

onnx_path, ref_path = sys.argv[1], sys.argv[2]
score_threshold, nms_iou = float(sys.argv[3]), float(sys.argv[4])
rng = np.random.default_rng(7)
n, classes = 400, 3
# Candidates clustered around a few objects, so that NMS has real work to do, with float32 values.
centres = rng.uniform([15, 10], [80, 55], size=(6, 2))
pick = rng.integers(0, len(centres), n)
cxcy = centres[pick] + rng.normal(0, 2.5, size=(n, 2))
wh = rng.uniform(8, 24, size=(n, 2))
scores = rng.uniform(0, 1, size=(n, classes)) ** 3
pred = np.concatenate([cxcy, wh, scores], axis=1).astype(np.float32)  # [n, 4+C]
tensor = pred.T[None]  # [1, 4+C, n]

value = numpy_helper.from_array(tensor)
nodes = [
    helper.make_node("Constant", [], ["raw"], value=value),
    helper.make_node("ReduceSum", ["images"], ["s"], keepdims=0),
    helper.make_node("Constant", [], ["zero"], value=numpy_helper.from_array(np.array(0, dtype=np.float32))),
    helper.make_node("Mul", ["s", "zero"], ["z"]),
    helper.make_node("Add", ["raw", "z"], ["output0"]),
]
graph = helper.make_graph(nodes, "yolo_reference",
                          [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, 64, 96])],
                          [helper.make_tensor_value_info("output0", TensorProto.FLOAT, list(tensor.shape))])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)])
model.ir_version = 6
onnx.checker.check_model(model)
onnx.save(model, onnx_path)

# Reference: best class per candidate, threshold, xywh → xyxy, class-wise NMS, best 100.
p = torch.from_numpy(pred)
conf, cls = p[:, 4:].max(1)
keep = conf >= torch.tensor(score_threshold, dtype=torch.float32)
boxes = torch.cat([p[:, :2] - p[:, 2:4] / 2, p[:, :2] + p[:, 2:4] / 2], 1)[keep].double()
conf, cls = conf[keep], cls[keep]
order = torchvision.ops.batched_nms(boxes, conf.double(), cls, nms_iou)[:100]
out = []
for i in order.tolist():
    x1, y1, x2, y2 = [min(max(v, 0.0), lim) for v, lim in zip(boxes[i].tolist(), [96, 64, 96, 64])]
    out.append({"class": int(cls[i]), "score": float(conf[i]), "bbox": [x1, y1, x2 - x1, y2 - y1]})
json.dump(out, open(ref_path, "w"))
print(f"OK {len(out)} of {n} candidates kept")
