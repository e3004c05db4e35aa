# bug: engine_bias_none, engine_no_bias
# hint: raised TypeError
import numpy as np
import torch
import torch.nn as nn


def engine_forward(layers, x):
    h = np.asarray(x)
    for layer in layers:
        if layer["kind"] == "linear":
            h = h @ layer["weight"].T + layer["bias"]  # fails on bias None
        elif layer["kind"] == "relu":
            h = np.maximum(h, 0)
        elif layer["kind"] == "tanh":
            h = np.tanh(h)
    return h
