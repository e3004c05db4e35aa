# bug: engine_keeps_float64, engine_float64
# hint: came back as float32
import numpy as np
import torch
import torch.nn as nn


def engine_forward(layers, x):
    h = np.asarray(x, dtype=np.float32)  # "the engine is float32": float64 models lose precision
    for layer in layers:
        if layer["kind"] == "linear":
            h = h @ layer["weight"].T.astype(np.float32)
            if layer["bias"] is not None:
                h = h + layer["bias"].astype(np.float32)
        elif layer["kind"] == "relu":
            h = np.maximum(h, 0)
        elif layer["kind"] == "tanh":
            h = np.tanh(h)
    return h
