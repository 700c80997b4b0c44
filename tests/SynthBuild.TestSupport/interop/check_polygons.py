"""Rasterizes traced polygons with this folder's pycocotools re-implementation (check_exports.py) and requires the
exact masks back. Input: a JSON list of {"width", "height", "mask": [row strings of 0/1], "polygons": [[...]],
"single": [...]}. Prints how many masks had holes and several parts, then 'OK'."""
import json, math, os, sys

import cv2
import numpy as np

# The decoders are check_exports.py's (one copy of the pycocotools re-implementation); only that section is run.
here = os.path.dirname(os.path.abspath(__file__))
src = open(os.path.join(here, "check_exports.py")).read()
helpers = src[src.index("# ------------------------------------------------------------------ independent COCO mask decoders"):src.index("figures = {}")]
ns = {"np": np, "math": math, "fail": lambda m: (print("FAIL: " + m), sys.exit(1)), "check": None}
ns["check"] = lambda c, m: None if c else ns["fail"](m)
exec(helpers, ns)

cases = json.load(open(os.environ["POLYGON_CASES"]))
holes = parts = 0
for k, c in enumerate(cases):
    w, h = c["width"], c["height"]
    mask = np.array([[ch == "1" for ch in row] for row in c["mask"]], dtype=np.uint8)
    got = ns["polys_to_mask"](c["polygons"], h, w)
    if not np.array_equal(got, mask):
        print("FAIL: case %d: polygons give %d pixels, the mask has %d (IoU %.4f)" % (k, got.sum(), mask.sum(), ns["iou"](got, mask)))
        sys.exit(1)
    single = ns["polys_to_mask"]([c["single"]], h, w)
    if not np.array_equal(single, mask):
        print("FAIL: case %d: the single (YOLO) polygon differs from the mask" % k)
        sys.exit(1)
    n_bg, _ = cv2.connectedComponents(np.pad(1 - mask, 1, constant_values=1), connectivity=4)
    holes += n_bg > 2
    parts += len(c["polygons"]) > 1
print("cases: %d, with holes: %d, with several parts: %d" % (len(cases), holes, parts))
print("OK")
