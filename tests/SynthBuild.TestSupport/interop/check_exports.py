"""Reads SynthBuild's exports with the consumers' own tools (numpy, OpenCV, protoc) and decoders written here,
independently of the C# encoders, and compares them with the dataset's PNGs and annotation files.
Usage: check_exports.py DATASET_DIR EXPORTS_DIR. Prints figures, ends with 'OK' or exits non-zero."""
import glob, json, math, os, struct, subprocess, sys, tempfile

import cv2
import numpy as np

DS, EX = sys.argv[1], sys.argv[2]
SPLITS = ["train", "val", "test"]
HERE = os.path.dirname(os.path.abspath(__file__))


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


dataset = json.load(open(os.path.join(DS, "dataset.json")))
W, H = dataset["image"]["width"], dataset["image"]["height"]
ANN = {}
for f in sorted(glob.glob(os.path.join(DS, "annotations", "*.json"))):
    a = json.load(open(f))
    ANN[a["index"]] = a
STEM = {i: os.path.splitext(os.path.basename(a["image"]["rgb"]))[0] for i, a in ANN.items()}


def rgb(i):
    return cv2.imread(os.path.join(DS, ANN[i]["image"]["rgb"]), cv2.IMREAD_UNCHANGED)[:, :, ::-1]


def gray16(i, key):
    img = cv2.imread(os.path.join(DS, ANN[i]["image"][key]), cv2.IMREAD_UNCHANGED)
    check(img.dtype == np.uint16, key + " PNG is not 16-bit")
    return img


def visible(i):
    return [o for o in ANN[i]["objects"] if o["area"] > 0]


# ------------------------------------------------------------------ independent COCO mask decoders
def rle_from_string(s):
    counts, p = [], 0
    while p < len(s):
        x, k, more = 0, 0, True
        while more:
            c = ord(s[p]) - 48
            x |= (c & 0x1F) << (5 * k)
            more = bool(c & 0x20)
            p += 1
            k += 1
            if not more and (c & 0x10):
                x |= -1 << (5 * k)
        if len(counts) > 2:
            x += counts[-2]
        counts.append(x)
    return counts


def rle_to_mask(counts, h, w):
    flat = np.zeros(h * w, dtype=np.uint8)
    pos, val = 0, 0
    for c in counts:
        if val:
            flat[pos:pos + c] = 1
        pos += c
        val ^= 1
    check(pos == h * w, "RLE runs add up to %d, not %d" % (pos, h * w))
    return flat.reshape(w, h).T  # column-major


def poly_to_counts(xy, h, w):
    """pycocotools' rleFrPoly, re-implemented from its C source."""
    scale = 5.0
    k = len(xy) // 2
    x = [int(scale * xy[2 * j] + 0.5) for j in range(k)] + [int(scale * xy[0] + 0.5)]
    y = [int(scale * xy[2 * j + 1] + 0.5) for j in range(k)] + [int(scale * xy[1] + 0.5)]
    u, v = [], []
    for j in range(k):
        xs, xe, ys, ye = x[j], x[j + 1], y[j], y[j + 1]
        dx, dy = abs(xe - xs), abs(ys - ye)
        flip = (dx >= dy and xs > xe) or (dx < dy and ys > ye)
        if flip:
            xs, xe, ys, ye = xe, xs, ye, ys
        if dx == 0 and dy == 0:
            u.append(xs); v.append(ys)  # C computes 0/0 here; the point never starts a column change
            continue
        if dx >= dy:
            s = (ye - ys) / dx
            for d in range(dx + 1):
                t = dx - d if flip else d
                u.append(t + xs); v.append(int(ys + s * t + 0.5))
        else:
            s = (xe - xs) / dy
            for d in range(dy + 1):
                t = dy - d if flip else d
                v.append(t + ys); u.append(int(xs + s * t + 0.5))
    a = []
    for j in range(1, len(u)):
        if u[j] == u[j - 1]:
            continue
        xd = u[j] if u[j] < u[j - 1] else u[j] - 1
        xd = (xd + 0.5) / scale - 0.5
        if math.floor(xd) != xd or xd < 0 or xd > w - 1:
            continue
        yd = v[j] if v[j] < v[j - 1] else v[j - 1]
        yd = (yd + 0.5) / scale - 0.5
        yd = 0 if yd < 0 else (h if yd > h else yd)
        a.append(int(xd) * h + int(math.ceil(yd)))
    a.append(h * w)
    a.sort()
    prev = 0
    for j in range(len(a)):
        t = a[j]; a[j] -= prev; prev = t
    b, j = [a[0]], 1
    while j < len(a):
        if a[j] > 0:
            b.append(a[j]); j += 1
        else:
            j += 1
            if j < len(a):
                b[-1] += a[j]; j += 1
    return b


def polys_to_mask(polys, h, w):
    m = np.zeros((h, w), dtype=np.uint8)
    for p in polys:
        check(len(p) >= 6 and len(p) % 2 == 0, "polygon with %d coordinates" % len(p))
        m |= rle_to_mask(poly_to_counts(p, h, w), h, w)
    return m


def iou(a, b):
    inter = np.logical_and(a, b).sum()
    union = np.logical_or(a, b).sum()
    return inter / union if union else 1.0


def tight_box(m):
    ys, xs = np.nonzero(m)
    return [xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1]


figures = {}
split_of = {}

# ------------------------------------------------------------------ NumPy
np_dir = os.path.join(EX, "numpy")
if os.path.isdir(np_dir):
    rows = 0
    for split in SPLITS:
        d = os.path.join(np_dir, split)
        load = lambda n: np.load(os.path.join(d, n), allow_pickle=False)
        index, r, objs, offs = load("index.npy"), load("rgb.npy"), load("objects.npy"), load("object_offsets.npy")
        check(index.dtype == np.int64 and r.dtype == np.uint8 and r.shape == (len(index), H, W, 3), "numpy %s rgb shape/dtype %s %s" % (split, r.dtype, r.shape))
        check(offs.shape == (len(index) + 1,) and offs[0] == 0 and offs[-1] == len(objs), "numpy %s offsets" % split)
        check(objs.dtype.names == ("row", "instance_id", "category_id", "bbox", "area", "visibility"), "objects dtype %s" % (objs.dtype,))
        depth = load("depth.npy") if os.path.exists(os.path.join(d, "depth.npy")) else None
        masks = load("masks.npy") if os.path.exists(os.path.join(d, "masks.npy")) else None
        for row, i in enumerate(index.tolist()):
            split_of[i] = split
            check(np.array_equal(r[row], rgb(i)), "numpy %s rgb of sample %d differs from the PNG" % (split, i))
            if depth is not None:
                check(depth.dtype == np.uint16 and np.array_equal(depth[row], gray16(i, "depth")), "numpy depth of %d" % i)
            if masks is not None:
                check(masks.dtype == np.uint16 and np.array_equal(masks[row], gray16(i, "segmentation")), "numpy masks of %d" % i)
            mine = objs[offs[row]:offs[row + 1]]
            expected = visible(i)
            check(len(mine) == len(expected), "numpy objects of %d: %d vs %d" % (i, len(mine), len(expected)))
            for o, e in zip(mine, expected):
                check(o["row"] == row and o["instance_id"] == e["instanceId"] and o["category_id"] == e["categoryId"] and o["area"] == e["area"], "numpy object of %d" % i)
                check(np.allclose(o["bbox"], e["bbox"]) and abs(o["visibility"] - e["visibility"]) < 1e-6, "numpy bbox of %d" % i)
            rows += 1
    check(rows == len(ANN), "numpy holds %d samples, the dataset %d" % (rows, len(ANN)))
    figures["numpy samples"] = rows

# ------------------------------------------------------------------ COCO
coco_dir = os.path.join(EX, "coco")
if os.path.isdir(coco_dir):
    min_iou, n_poly, n_rle, holes, parts = 1.0, 0, 0, 0, 0
    images_seen = 0
    for split in SPLITS:
        c = json.load(open(os.path.join(coco_dir, "instances_%s.json" % split)))
        for key in ("info", "licenses", "images", "annotations", "categories"):
            check(key in c, "COCO %s lacks %s" % (split, key))
        cat_ids = [k["id"] for k in c["categories"]]
        check(min(cat_ids) == 1 and sorted(cat_ids) == list(range(1, len(cat_ids) + 1)), "category ids %s" % cat_ids)
        ann_ids = [a["id"] for a in c["annotations"]]
        check(len(set(ann_ids)) == len(ann_ids) and (not ann_ids or min(ann_ids) >= 1), "annotation ids")
        by_image = {}
        for im in c["images"]:
            check(os.path.exists(os.path.join(DS, im["file_name"])), "file_name %s does not resolve from the dataset folder" % im["file_name"])
            i = im["id"] - 1
            check(STEM[i] in im["file_name"], "image id %d vs %s" % (im["id"], im["file_name"]))
            if split_of:
                check(split_of[i] == split, "sample %d is %s in numpy but %s in COCO" % (i, split_of[i], split))
            by_image[im["id"]] = []
            images_seen += 1
        for a in c["annotations"]:
            by_image[a["image_id"]].append(a)
        for image_id, anns in by_image.items():
            i = image_id - 1
            seg = gray16(i, "segmentation")
            expected = visible(i)
            check(len(anns) == len(expected), "COCO annotations of %d" % i)
            for a, e in zip(anns, expected):
                truth = (seg == e["instanceId"]).astype(np.uint8)
                check(a["iscrowd"] == 0 and a["category_id"] == e["categoryId"], "COCO fields of %d" % i)
                check(a["area"] == truth.sum() and [float(v) for v in a["bbox"]] == [float(v) for v in tight_box(truth)], "COCO area/bbox of %d: %s %s" % (i, a["bbox"], tight_box(truth)))
                s = a["segmentation"]
                if isinstance(s, dict):
                    check(s["size"] == [H, W], "RLE size")
                    m = rle_to_mask(rle_from_string(s["counts"]), H, W)
                    check(np.array_equal(m, truth), "RLE of sample %d object %d does not decode to its mask" % (i, e["instanceId"]))
                    n_rle += 1
                else:
                    m = polys_to_mask(s, H, W)
                    v = iou(m, truth)
                    min_iou = min(min_iou, v)
                    check(v >= 0.98, "polygons of sample %d object %d give IoU %.4f" % (i, e["instanceId"], v))
                    n_poly += 1
                    parts += len(s) > 1
                    n_comp, _ = cv2.connectedComponents(1 - truth, connectivity=4)
                    holes += n_comp > 2
                if "keypoints" in a:
                    check(len(a["keypoints"]) == 24 and a["num_keypoints"] == sum(1 for k in a["keypoints"][2::3] if k > 0), "keypoints of %d" % i)
    check(images_seen == len(ANN), "COCO lists %d images, the dataset has %d" % (images_seen, len(ANN)))
    if n_poly:
        figures["COCO polygons"] = n_poly
        figures["COCO polygon min IoU"] = round(float(min_iou), 6)
        figures["COCO masks with several parts"] = int(parts)
        figures["COCO masks with holes"] = int(holes)
    if n_rle:
        figures["COCO RLE exact"] = n_rle

# ------------------------------------------------------------------ YOLO
for variant in ("yolo", "yolo-seg"):
    ydir = os.path.join(EX, variant)
    if not os.path.isdir(ydir):
        continue
    yaml = open(os.path.join(ydir, "data.yaml")).read().splitlines()
    keys = {l.split(":")[0] for l in yaml if l and not l.startswith((" ", "#"))}
    check({"path", "train", "val", "test", "names"} <= keys, "data.yaml keys %s" % keys)
    names = [l.strip() for l in yaml if l.startswith("  ")]
    check(names[0].startswith("0: "), "names must start at class 0: %s" % names)
    worst, count = 0.0, 0
    for split in SPLITS:
        for img in sorted(glob.glob(os.path.join(ydir, "images", split, "*.png"))):
            stem = os.path.splitext(os.path.basename(img))[0]
            i = int(stem)
            check(np.array_equal(cv2.imread(img, cv2.IMREAD_UNCHANGED)[:, :, ::-1], rgb(i)), "YOLO image %s" % img)
            if split_of:
                check(split_of[i] == split, "YOLO split of %d" % i)
            lines = [l.split() for l in open(os.path.join(ydir, "labels", split, stem + ".txt")).read().splitlines()]
            expected = visible(i)
            check(len(lines) == len(expected), "YOLO labels of %d" % i)
            seg = gray16(i, "segmentation") if variant == "yolo-seg" else None
            for l, e in zip(lines, expected):
                check(int(l[0]) == e["categoryId"] - 1, "YOLO class of %d" % i)
                vals = [float(t) for t in l[1:]]
                if variant == "yolo":
                    cx, cy, bw, bh = vals
                    box = [(cx - bw / 2) * W, (cy - bh / 2) * H, bw * W, bh * H]
                    for got, want in zip(box, e["bbox"]):
                        err = abs(got - want) / max(abs(want), 1.0)
                        worst = max(worst, err)
                        check(err <= 1e-6, "YOLO box of %d: %s vs %s" % (i, box, e["bbox"]))
                else:
                    poly = [vals[k] * (W if k % 2 == 0 else H) for k in range(len(vals))]
                    m = polys_to_mask([poly], H, W)
                    v = iou(m, seg == e["instanceId"])
                    check(v >= 0.98, "YOLO polygon of %d IoU %.4f" % (i, v))
                    worst = max(worst, 1 - v)
                count += 1
    figures[variant + " objects"] = count
    figures[variant + (" worst relative box error" if variant == "yolo" else " worst 1-IoU")] = worst

# ------------------------------------------------------------------ TFRecord
tf_dir = os.path.join(EX, "tfrecord")
if os.path.isdir(tf_dir):
    def crc32c(data, table=[]):
        if not table:
            for n in range(256):
                c = n
                for _ in range(8):
                    c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
                table.append(c)
        c = 0xFFFFFFFF
        for b in data:
            c = table[(c ^ b) & 0xFF] ^ (c >> 8)
        return c ^ 0xFFFFFFFF

    def masked(crc):
        return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF

    gen = tempfile.mkdtemp()
    subprocess.run(["protoc", "-I", HERE, "--python_out", gen, os.path.join(HERE, "example.proto")], check=True)
    sys.path.insert(0, gen)
    import example_pb2

    records = 0
    for split in SPLITS:
        files = sorted(glob.glob(os.path.join(tf_dir, split + "-*-of-*.tfrecord")))
        check(files, "no %s shards" % split)
        total = int(files[0].rsplit("-of-", 1)[1].split(".")[0])
        check(len(files) == total, "%s: %d shard files, names say %d" % (split, len(files), total))
        for f in files:
            data = open(f, "rb").read()
            p = 0
            while p < len(data):
                length, = struct.unpack_from("<Q", data, p)
                check(struct.unpack_from("<I", data, p + 8)[0] == masked(crc32c(data[p:p + 8])), "length CRC in %s" % f)
                payload = data[p + 12:p + 12 + length]
                check(struct.unpack_from("<I", data, p + 12 + length)[0] == masked(crc32c(payload)), "data CRC in %s" % f)
                p += 12 + length + 4
                text = subprocess.run(["protoc", "-I", HERE, "--decode=tensorflow.Example", "example.proto"], input=payload,
                                      cwd=HERE, capture_output=True, check=True).stdout.decode("utf-8", "replace")
                ex = example_pb2.Example.FromString(payload).features.feature
                for key in ("image/encoded", "image/format", "image/height", "image/width", "image/filename", "image/source_id",
                            "image/object/bbox/xmin", "image/object/bbox/xmax", "image/object/bbox/ymin", "image/object/bbox/ymax",
                            "image/object/class/text", "image/object/class/label"):
                    check(key in ex and ('key: "%s"' % key) in text, "TFRecord lacks %s" % key)
                i = int(ex["image/source_id"].bytes_list.value[0])
                if split_of:
                    check(split_of[i] == split, "TFRecord split of %d" % i)
                check(ex["image/height"].int64_list.value[0] == H and ex["image/width"].int64_list.value[0] == W, "TFRecord size")
                check(ex["image/format"].bytes_list.value[0] == b"png", "TFRecord format")
                check(ex["image/filename"].bytes_list.value[0].decode() == STEM[i] + ".png", "TFRecord filename")
                img = cv2.imdecode(np.frombuffer(ex["image/encoded"].bytes_list.value[0], np.uint8), cv2.IMREAD_UNCHANGED)
                check(np.array_equal(img[:, :, ::-1], rgb(i)), "TFRecord image of %d" % i)
                expected = visible(i)
                labels = list(ex["image/object/class/label"].int64_list.value)
                check(labels == [e["categoryId"] for e in expected], "TFRecord labels of %d" % i)
                check([t.decode() for t in ex["image/object/class/text"].bytes_list.value] == [e["category"] for e in expected], "TFRecord class text")
                for k, e in enumerate(expected):
                    x, y, bw, bh = e["bbox"]
                    got = [ex["image/object/bbox/" + n].float_list.value[k] for n in ("xmin", "xmax", "ymin", "ymax")]
                    check(np.allclose(got, [x / W, (x + bw) / W, y / H, (y + bh) / H], rtol=1e-6, atol=1e-7), "TFRecord box of %d" % i)
                if "image/object/mask" in ex:
                    seg = gray16(i, "segmentation")
                    pngs = ex["image/object/mask"].bytes_list.value
                    check(len(pngs) == len(expected), "TFRecord masks of %d" % i)
                    for png, e in zip(pngs, expected):
                        m = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_UNCHANGED)
                        check(np.array_equal(m, (seg == e["instanceId"]).astype(np.uint8)), "TFRecord mask of %d" % i)
                if "image/depth/encoded" in ex:
                    d = cv2.imdecode(np.frombuffer(ex["image/depth/encoded"].bytes_list.value[0], np.uint8), cv2.IMREAD_UNCHANGED)
                    check(np.array_equal(d, gray16(i, "depth")), "TFRecord depth of %d" % i)
                records += 1
    check(records == len(ANN), "TFRecord holds %d records, the dataset %d" % (records, len(ANN)))
    figures["tfrecord records"] = records

# ------------------------------------------------------------------ ONNX inputs
onnx_dir = os.path.join(EX, "onnx")
if os.path.isdir(onnx_dir):
    meta = json.load(open(os.path.join(onnx_dir, "inputs.json")))
    x = np.load(os.path.join(onnx_dir, "inputs.npy"), allow_pickle=False)
    check(x.dtype == np.float32 and list(x.shape) == meta["shape"], "ONNX inputs %s %s vs %s" % (x.dtype, x.shape, meta["shape"]))
    n, _, h, w = x.shape
    mean, std = np.array(meta["mean"], np.float32), np.array(meta["std"], np.float32)
    worst = 0.0
    for k, s in enumerate(meta["samples"]):
        img = cv2.imread(os.path.join(DS, s["file"]), cv2.IMREAD_UNCHANGED)[:, :, ::-1].astype(np.float32)
        ref = cv2.resize(img, (w, h), interpolation=cv2.INTER_LINEAR) / 255.0
        ref = ((ref - mean) / std).transpose(2, 0, 1)
        worst = max(worst, float(np.abs(ref - x[k]).max()))
    check(worst < 1e-3, "ONNX inputs differ from OpenCV's preprocessing by %g" % worst)
    figures["onnx inputs"] = n
    figures["onnx max abs difference vs cv2"] = worst

for k, v in figures.items():
    print("%s: %s" % (k, v))
print("OK")
