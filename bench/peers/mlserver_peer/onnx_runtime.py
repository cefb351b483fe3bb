"""Peer B: a small MLServer custom runtime that runs an ONNX model through onnxruntime.

MLServer does the rest: Open Inference Protocol V2 over REST (and gRPC), adaptive batching
(max_batch_size / max_batch_time in model-settings.json), parallel inference worker
processes (parallel_workers in settings.json), metrics. bench/peers/run.ts writes the settings and starts `mlserver start`.
"""

from __future__ import annotations

import os

import numpy as np
import onnxruntime as ort
from mlserver import MLModel
from mlserver.codecs import NumpyCodec
from mlserver.errors import MLServerError
from mlserver.types import InferenceRequest, InferenceResponse
from mlserver.utils import get_model_uri


class OnnxModel(MLModel):
    async def load(self) -> bool:
        path = await get_model_uri(self._settings)
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # With several parallel workers, split the cores between them (ORT_THREADS=1 for one
        # worker per core); unset, onnxruntime uses all cores.
        threads = int(os.environ.get("ORT_THREADS", "0"))
        if threads > 0:
            options.intra_op_num_threads = threads
        self._session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        self._inputs = {i.name: i for i in self._session.get_inputs()}
        self._output_names = [o.name for o in self._session.get_outputs()]
        for meta in self._inputs.values():  # warm-up
            width = int(meta.shape[1])
            self._session.run(None, {meta.name: np.zeros((1, width), np.float32)})
        return True

    async def predict(self, payload: InferenceRequest) -> InferenceResponse:
        feeds = {}
        for request_input in payload.inputs:
            if request_input.name not in self._inputs:
                raise MLServerError(f"unknown input '{request_input.name}'", status_code=400)
            value = self.decode(request_input, default_codec=NumpyCodec)
            feeds[request_input.name] = np.asarray(value, dtype=np.float32)
        results = self._session.run(self._output_names, feeds)
        return InferenceResponse(
            model_name=self.name,
            model_version=self.version,
            outputs=[
                NumpyCodec.encode_output(name=name, payload=value)
                for name, value in zip(self._output_names, results)
            ],
        )
