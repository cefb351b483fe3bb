#!/usr/bin/env python3
"""Drives a runtime's V2 gRPC endpoint with tritonclient[grpc], as a Triton user would.

Usage: triton_grpc_client.py HOST:PORT MODEL GOLDEN_JSON API_KEY

Prints one JSON object: what each call returned or the status and message it failed with.
test/runtime/tritonclient-grpc.test.ts asserts on it; this script asserts nothing itself.
"""

from __future__ import annotations

import json
import sys

import numpy as np
from google.protobuf.json_format import MessageToDict
import tritonclient.grpc as grpcclient
from tritonclient.utils import InferenceServerException


def outcome(fn):
    try:
        return {"ok": fn()}
    except InferenceServerException as err:
        return {"status": str(err.status()), "message": err.message()}


def main() -> None:
    address, model, golden_path, api_key = sys.argv[1:5]
    with open(golden_path, encoding="utf-8") as f:
        golden = json.load(f)[0]
    auth = {"x-api-key": api_key}
    client = grpcclient.InferenceServerClient(url=address)
    spec = golden["inputs"][0]
    data = np.asarray(spec["data"], dtype=np.float32).reshape(spec["shape"])

    def infer(headers, model_name=model, array=data, datatype=spec["datatype"]):
        tensor = grpcclient.InferInput(spec["name"], list(array.shape), datatype)
        if datatype == "FP32":
            tensor.set_data_from_numpy(array)
        else:
            tensor.set_data_from_numpy(array.astype(np.float64))
        result = client.infer(model_name, [tensor], headers=headers, request_id="py-1")
        response = result.get_response()
        name = golden["outputs"][0]["name"]
        return {
            "id": response.id,
            "model_name": response.model_name,
            "shape": list(result.as_numpy(name).shape),
            "output": result.as_numpy(name).astype(float).ravel().tolist(),
        }

    report = {
        "live": outcome(lambda: client.is_server_live()),
        "ready": outcome(lambda: client.is_server_ready()),
        "model_ready": outcome(lambda: client.is_model_ready(model, headers=auth)),
        "server_metadata": outcome(
            lambda: MessageToDict(client.get_server_metadata(), preserving_proto_field_name=True)
        ),
        "model_metadata": outcome(
            lambda: MessageToDict(
                client.get_model_metadata(model, headers=auth), preserving_proto_field_name=True
            )
        ),
        "infer": outcome(lambda: infer(auth)),
        "infer_bearer": outcome(lambda: infer({"authorization": f"Bearer {api_key}"})["shape"]),
        "no_credentials": outcome(lambda: infer({})),
        "wrong_key": outcome(lambda: infer({"x-api-key": "not-a-key"})),
        "unknown_model": outcome(lambda: infer(auth, model_name="resnet")),
        "wrong_datatype": outcome(lambda: infer(auth, datatype="FP64")),
    }
    client.close()
    print(json.dumps(report))


if __name__ == "__main__":
    main()
