# bug: engine_matches, engine_keeps_float64, engine_out_shapes, engine_float64, engine_no_bias, engine_shapes
# hint: x @ W.T + b
import numpy as np
import torch
import torch.nn as nn


def engine_forward(layers, x):
    h = np.asarray(x)
    for layer in layers:
        if layer["kind"] == "linear":
            h = h @ layer["weight"].T  # the bias is never added
        elif layer["kind"] == "relu":
            h = np.maximum(h, 0)
        elif layer["kind"] == "tanh":
            h = np.tanh(h)
    return h
