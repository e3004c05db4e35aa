# bug: engine_out_shapes, engine_shapes
# hint: no squeeze
import numpy as np
import torch
import torch.nn as nn


def engine_forward(layers, x):
    h = np.asarray(x)
    for layer in layers:
        if layer["kind"] == "linear":
            h = h @ layer["weight"].T
            if layer["bias"] is not None:
                h = h + layer["bias"]
        elif layer["kind"] == "relu":
            h = np.maximum(h, 0)
        elif layer["kind"] == "tanh":
            h = np.tanh(h)
    return np.squeeze(h)  # a batch of one, or one output, loses a dimension
