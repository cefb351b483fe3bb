#!/usr/bin/env python3
"""Write the small ONNX models ModelDeploy's examples and tests use, plus golden files.

Deterministic: every weight comes from a seeded numpy Generator, so running this script
again writes byte-identical files (for the INT8 model: with the same onnxruntime). Needs
the packages of requirements.txt here (PyPI):

    python3 -m venv ~/.cache/modeldeploy/venv-models
    ~/.cache/modeldeploy/venv-models/bin/pip install -r examples/models/requirements.txt
    ~/.cache/modeldeploy/venv-models/bin/python examples/models/make_models.py

Each model gets `<model>.golden.json` next to it: a JSON array in the runtime's
GOLDEN_REQUESTS format (inputs with name/shape/datatype/flat data, expected outputs, an
absolute tolerance). Expected values come from onnx's numpy reference evaluator.

`mlp-heavy-int8.onnx` is mlp-heavy with onnxruntime's dynamic quantisation (INT8 weights,
activations quantised per run). Its golden file expects the FP32 model's answers, with the
tolerance the quantised model needs to reproduce them: what a user checks before serving an
INT8 model instead of its FP32 original.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLES = os.path.join(ROOT, "examples", "models")
FIXTURES = os.path.join(ROOT, "test", "fixtures", "models")
OPSET = [helper.make_opsetid("", 17)]
IR_VERSION = 8


def dense(rng: np.random.Generator, n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    """He-initialised weights so activations keep their scale through ReLU layers."""
    w = rng.standard_normal((n_in, n_out)).astype(np.float32) * np.float32(np.sqrt(2.0 / n_in))
    b = (rng.standard_normal(n_out) * 0.1).astype(np.float32)
    return w, b


def mlp(name: str, seed: int, n_in: int, hidden: list[int], n_out: int, batch: int | str) -> onnx.ModelProto:
    rng = np.random.default_rng(seed)
    nodes: list[onnx.NodeProto] = []
    inits: list[onnx.TensorProto] = []
    prev, width = "input", n_in
    sizes = hidden + [n_out]
    for i, n in enumerate(sizes):
        w, b = dense(rng, width, n)
        inits += [numpy_helper.from_array(w, f"w{i}"), numpy_helper.from_array(b, f"b{i}")]
        last = i == len(sizes) - 1
        mm, out = f"mm{i}", "output" if last else f"h{i}"
        nodes.append(helper.make_node("MatMul", [prev, f"w{i}"], [mm]))
        if last:
            nodes.append(helper.make_node("Add", [mm, f"b{i}"], [out]))
        else:
            nodes.append(helper.make_node("Add", [mm, f"b{i}"], [f"z{i}"]))
            nodes.append(helper.make_node("Relu", [f"z{i}"], [out]))
        prev, width = out, n
    graph = helper.make_graph(
        nodes,
        name,
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [batch, n_in])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [batch, n_out])],
        inits,
    )
    return finish(graph)


def heavy(seed: int) -> onnx.ModelProto:
    """[-1,512] -> 12 x (1024 wide, ReLU) -> [-1,10].

    One 1024x1024 matrix is shared by every hidden layer (each layer has its own bias), so
    the file stays near 4 MB while a sample costs ~13M multiply-adds. The first layer uses
    the matrix's first 512 rows through a Slice that onnxruntime folds at load time.
    """
    rng = np.random.default_rng(seed)
    width, layers = 1024, 12
    shared = rng.standard_normal((width, width)).astype(np.float32) * np.float32(np.sqrt(2.0 / width))
    head, head_b = dense(rng, width, 10)
    inits = [
        numpy_helper.from_array(shared, "w_shared"),
        numpy_helper.from_array(head, "w_head"),
        numpy_helper.from_array(head_b, "b_head"),
        numpy_helper.from_array(np.array([0], dtype=np.int64), "slice_start"),
        numpy_helper.from_array(np.array([512], dtype=np.int64), "slice_end"),
    ]
    nodes = [helper.make_node("Slice", ["w_shared", "slice_start", "slice_end"], ["w_first"])]
    prev = "input"
    for i in range(layers):
        b = (rng.standard_normal(width) * 0.05).astype(np.float32)
        inits.append(numpy_helper.from_array(b, f"b{i}"))
        w = "w_first" if i == 0 else "w_shared"
        nodes.append(helper.make_node("MatMul", [prev, w], [f"mm{i}"]))
        nodes.append(helper.make_node("Add", [f"mm{i}", f"b{i}"], [f"z{i}"]))
        nodes.append(helper.make_node("Relu", [f"z{i}"], [f"h{i}"]))
        prev = f"h{i}"
    nodes.append(helper.make_node("MatMul", [prev, "w_head"], ["mm_head"]))
    nodes.append(helper.make_node("Add", ["mm_head", "b_head"], ["output"]))
    graph = helper.make_graph(
        nodes,
        "mlp-heavy",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 512])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", 10])],
        inits,
    )
    return finish(graph)


def int64_model(seed: int) -> onnx.ModelProto:
    """ids INT64 [-1,4] -> embedding_sum FP32 [-1,2] (Gather from a 16x2 table, summed over
    the 4 ids) and ids_sum INT64 [-1,1]. An id outside 0..15 makes Gather fail at run time,
    which tests use for an inference error that must fail only its own batch."""
    rng = np.random.default_rng(seed)
    table = rng.standard_normal((16, 2)).astype(np.float32)
    inits = [
        numpy_helper.from_array(table, "table"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1"),
    ]
    nodes = [
        helper.make_node("Gather", ["table", "ids"], ["gathered"], axis=0),
        helper.make_node("ReduceSum", ["gathered", "axis1"], ["embedding_sum"], keepdims=0),
        helper.make_node("ReduceSum", ["ids", "axis1"], ["ids_sum"], keepdims=1),
    ]
    graph = helper.make_graph(
        nodes,
        "int64-embedding",
        [helper.make_tensor_value_info("ids", TensorProto.INT64, ["batch", 4])],
        [
            helper.make_tensor_value_info("embedding_sum", TensorProto.FLOAT, ["batch", 2]),
            helper.make_tensor_value_info("ids_sum", TensorProto.INT64, ["batch", 1]),
        ],
        inits,
    )
    return finish(graph)


def two_inputs() -> onnx.ModelProto:
    """a FP32 [-1,3] and b FP32 [-1,3] -> sum FP32 [-1,3] = a + b: for multi-input requests."""
    graph = helper.make_graph(
        [helper.make_node("Add", ["a", "b"], ["sum"])],
        "two-inputs",
        [
            helper.make_tensor_value_info("a", TensorProto.FLOAT, ["batch", 3]),
            helper.make_tensor_value_info("b", TensorProto.FLOAT, ["batch", 3]),
        ],
        [helper.make_tensor_value_info("sum", TensorProto.FLOAT, ["batch", 3])],
    )
    return finish(graph)


def finish(graph: onnx.GraphProto) -> onnx.ModelProto:
    model = helper.make_model(graph, opset_imports=OPSET, producer_name="modeldeploy-make-models")
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model)
    return model


DTYPES = {np.dtype(np.float32): "FP32", np.dtype(np.int64): "INT64"}


def golden(model: onnx.ModelProto, name: str, feeds: dict[str, np.ndarray], tolerance: float) -> list[dict]:
    session = ReferenceEvaluator(model)
    output_names = [o.name for o in model.graph.output]
    results = session.run(None, feeds)
    return [
        {
            "name": name,
            "inputs": [
                {"name": k, "shape": list(v.shape), "datatype": DTYPES[v.dtype], "data": v.flatten().tolist()}
                for k, v in feeds.items()
            ],
            "outputs": [
                {"name": n, "data": [float(x) if r.dtype == np.float32 else int(x) for x in r.flatten()]}
                for n, r in zip(output_names, results)
            ],
            "tolerance": tolerance,
        }
    ]


def fixed_input(rows: int, cols: int) -> np.ndarray:
    """A fixed, easily reproduced input: sin of a ramp."""
    return np.sin(np.arange(rows * cols, dtype=np.float64) * 0.1).astype(np.float32).reshape(rows, cols)


def write(model: onnx.ModelProto, directory: str, stem: str, gold: list[dict]) -> None:
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, f"{stem}.onnx")
    onnx.save(model, path)
    golden_path = os.path.join(directory, f"{stem}.golden.json")
    GOLDEN_FILES.append(golden_path)
    with open(golden_path, "w", encoding="utf-8") as f:
        json.dump(gold, f, indent=1)
        f.write("\n")
    print(f"{path}: {os.path.getsize(path)} bytes", file=sys.stderr)


GOLDEN_FILES: list[str] = []


def write_int8(fp32: onnx.ModelProto, directory: str, stem: str, name: str, feeds: dict[str, np.ndarray]) -> None:
    """Quantises the model written as `<directory>/<fp32 stem>.onnx` to INT8 as `<stem>.onnx`.

    The golden file keeps the FP32 reference answers; its tolerance is twice the largest
    deviation of the INT8 model (run by onnxruntime) on these inputs, rounded up to two
    significant digits, so the check passes for this quantisation and fails for a worse one.
    """
    import onnxruntime as ort
    from onnxruntime.quantization import QuantType, quantize_dynamic

    source = os.path.join(directory, f"{fp32.graph.name}.onnx")
    path = os.path.join(directory, f"{stem}.onnx")
    quantize_dynamic(source, path, weight_type=QuantType.QInt8)
    gold = golden(fp32, name, feeds, 0.0)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    deviation = max(
        float(np.abs(r.astype(np.float64).flatten() - np.asarray(o["data"], dtype=np.float64)).max())
        for r, o in zip(session.run(None, feeds), gold[0]["outputs"])
    )
    gold[0]["tolerance"] = ceil_two_digits(2 * deviation)
    golden_path = os.path.join(directory, f"{stem}.golden.json")
    GOLDEN_FILES.append(golden_path)
    with open(golden_path, "w", encoding="utf-8") as f:
        json.dump(gold, f, indent=1)
        f.write("\n")
    print(f"{path}: {os.path.getsize(path)} bytes, largest deviation {deviation:.4g}", file=sys.stderr)


def ceil_two_digits(x: float) -> float:
    scale = 10.0 ** (math.floor(math.log10(x)) - 1)
    return round(math.ceil(x / scale) * scale, 12)


def format_golden_files() -> None:
    """The repository formats JSON with prettier; do the same so a re-run changes nothing."""
    try:
        subprocess.run(["npx", "prettier", "--write", *GOLDEN_FILES], cwd=ROOT, check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError) as err:
        print(f"prettier not run ({err}); run `npx prettier --write examples test/fixtures`", file=sys.stderr)


def main() -> None:
    tiny = mlp("mlp-tiny", 1, 64, [256, 256, 256], 10, "batch")
    write(tiny, EXAMPLES, "mlp-tiny", golden(tiny, "mlp-tiny-sin-ramp", {"input": fixed_input(2, 64)}, 1e-4))
    tiny_v2 = mlp("mlp-tiny-v2", 2, 64, [256, 256, 256], 10, "batch")
    write(tiny_v2, EXAMPLES, "mlp-tiny-v2", golden(tiny_v2, "mlp-tiny-v2-sin-ramp", {"input": fixed_input(2, 64)}, 1e-4))
    hv = heavy(3)
    write(hv, EXAMPLES, "mlp-heavy", golden(hv, "mlp-heavy-sin-ramp", {"input": fixed_input(2, 512)}, 1e-3))
    write_int8(hv, EXAMPLES, "mlp-heavy-int8", "mlp-heavy-int8-sin-ramp", {"input": fixed_input(2, 512)})
    fixed = mlp("mlp-fixed-batch", 4, 64, [32], 10, 1)
    write(fixed, FIXTURES, "mlp-fixed-batch", golden(fixed, "mlp-fixed-batch-sin-ramp", {"input": fixed_input(1, 64)}, 1e-4))
    ids = np.array([[0, 1, 2, 3], [15, 14, 13, 12]], dtype=np.int64)
    emb = int64_model(5)
    write(emb, FIXTURES, "int64-embedding", golden(emb, "int64-embedding-ids", {"ids": ids}, 1e-5))
    pair = two_inputs()
    a = np.array([[1, 2, 3], [4, 5, 6]], dtype=np.float32)
    write(pair, FIXTURES, "two-inputs", golden(pair, "two-inputs-add", {"a": a, "b": a * 10}, 1e-6))
    format_golden_files()


if __name__ == "__main__":
    main()
