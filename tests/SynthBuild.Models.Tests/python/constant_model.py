"""Writes an ONNX graph whose outputs are fixed tensors: a detector that "detects" the same things on every image.

usage: constant_model.py SPEC.json OUT.onnx
SPEC: {"input": {"name", "shape" (ints, -1 = dynamic), "dtype": "float32"|"uint8"},
       "outputs": [{"name", "dtype": "float32"|"int64", "shape", "data": flat list}],
       "reshape": optional shape the image is reshaped to first (fails at run time for images of another size)}
The image input feeds a ReduceSum multiplied by zero and added to the first float output, so the graph really
consumes the image (ONNX Runtime must be given a tensor of the declared shape) without changing the values.
"""
import json
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

spec = json.load(open(sys.argv[1]))
inp = spec["input"]
in_type = TensorProto.UINT8 if inp["dtype"] == "uint8" else TensorProto.FLOAT
dims = [d if d >= 0 else f"d{i}" for i, d in enumerate(inp["shape"])]
graph_inputs = [helper.make_tensor_value_info(inp["name"], in_type, dims)]
nodes, graph_outputs = [], []
first_float = True
for o in spec["outputs"]:
    dtype = np.int64 if o["dtype"] == "int64" else np.float32
    value = np.array(o["data"], dtype=dtype).reshape(o["shape"])
    elem = TensorProto.INT64 if o["dtype"] == "int64" else TensorProto.FLOAT
    graph_outputs.append(helper.make_tensor_value_info(o["name"], elem, list(value.shape)))
    if elem == TensorProto.FLOAT and first_float:
        first_float = False
        nodes.append(helper.make_node("Constant", [], [o["name"] + "_value"], value=numpy_helper.from_array(value)))
        src = inp["name"]
        if spec.get("reshape"):
            shape = numpy_helper.from_array(np.array(spec["reshape"], dtype=np.int64))
            nodes.append(helper.make_node("Constant", [], ["reshape_to"], value=shape))
            nodes.append(helper.make_node("Reshape", [src, "reshape_to"], ["image_reshaped"]))
            src = "image_reshaped"
        if in_type == TensorProto.UINT8:
            nodes.append(helper.make_node("Cast", [src], ["image_float"], to=TensorProto.FLOAT))
            src = "image_float"
        nodes.append(helper.make_node("ReduceSum", [src], ["image_sum"], keepdims=0))
        nodes.append(helper.make_node("Constant", [], ["zero"], value=numpy_helper.from_array(np.array(0, dtype=np.float32))))
        nodes.append(helper.make_node("Mul", ["image_sum", "zero"], ["image_zero"]))
        nodes.append(helper.make_node("Add", [o["name"] + "_value", "image_zero"], [o["name"]]))
    else:
        nodes.append(helper.make_node("Constant", [], [o["name"]], value=numpy_helper.from_array(value)))
graph = helper.make_graph(nodes, "constant_detector", graph_inputs, graph_outputs)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)])
model.ir_version = 6
onnx.checker.check_model(model)
onnx.save(model, sys.argv[2])
print("OK")
