"""Peer A: a FastAPI + uvicorn + onnxruntime model server written the way FastAPI's and
onnxruntime's guides recommend: the model is loaded once at start-up (lifespan) and warmed
up, requests and responses are pydantic models, the blocking inference runs in a plain
`def` endpoint (FastAPI runs it in its thread pool), /health and /ready for probes, and
uvicorn runs one worker process per core (`--workers 2`), each with its own session.

    MODEL_PATH=examples/models/mlp-tiny.onnx uvicorn app:app --app-dir bench/peers/fastapi_peer \
        --host 127.0.0.1 --port 8000 --workers 2 --no-access-log

POST /predict {"inputs": [[...row...], ...]} -> {"outputs": [[...row...], ...]}
"""

from __future__ import annotations

import os
from contextlib import asynccontextmanager
from typing import Any

import numpy as np
import onnxruntime as ort
from fastapi import FastAPI, HTTPException, Response
from pydantic import BaseModel, Field

MODEL_PATH = os.environ.get("MODEL_PATH", "model.onnx")
# One worker process per core, so each session gets one intra-op thread (onnxruntime's
# guidance for several processes on one machine: do not oversubscribe the cores).
ORT_THREADS = int(os.environ.get("ORT_THREADS", "1"))


class Model:
    def __init__(self, path: str) -> None:
        options = ort.SessionOptions()
        options.intra_op_num_threads = ORT_THREADS
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        meta = self.session.get_inputs()[0]
        self.input_name: str = meta.name
        self.width: int = int(meta.shape[1])
        self.output_name: str = self.session.get_outputs()[0].name

    def warm_up(self) -> None:
        for rows in (1, 32):
            self.session.run(None, {self.input_name: np.zeros((rows, self.width), np.float32)})

    def predict(self, rows: np.ndarray) -> np.ndarray:
        return self.session.run([self.output_name], {self.input_name: rows})[0]


state: dict[str, Any] = {}


@asynccontextmanager
async def lifespan(_app: FastAPI):
    model = Model(MODEL_PATH)
    model.warm_up()
    state["model"] = model
    yield
    state.clear()


app = FastAPI(title="peer-a", lifespan=lifespan)


class PredictRequest(BaseModel):
    inputs: list[list[float]] = Field(min_length=1, description="rows of input features")


class PredictResponse(BaseModel):
    outputs: list[list[float]]


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/ready")
def ready(response: Response) -> dict[str, bool]:
    is_ready = "model" in state
    if not is_ready:
        response.status_code = 503
    return {"ready": is_ready}


@app.post("/predict", response_model=PredictResponse)
def predict(request: PredictRequest) -> PredictResponse:
    model: Model | None = state.get("model")
    if model is None:
        raise HTTPException(status_code=503, detail="model not loaded")
    for i, row in enumerate(request.inputs):
        if len(row) != model.width:
            raise HTTPException(
                status_code=422, detail=f"inputs[{i}] has {len(row)} values, expected {model.width}"
            )
    x = np.asarray(request.inputs, dtype=np.float32)
    y = model.predict(x)
    return PredictResponse(outputs=y.tolist())
