# bug: engine_no_torch
# hint: NumPy only
import numpy as np
import torch
import torch.nn as nn


def engine_forward(layers, x):
    """Right numbers, wrong engine: the C++ side has no torch."""
    h = torch.from_numpy(np.asarray(x))
    for layer in layers:
        if layer["kind"] == "linear":
            b = layer["bias"]
            h = torch.nn.functional.linear(h, torch.from_numpy(layer["weight"]),
                                           None if b is None else torch.from_numpy(b))
        elif layer["kind"] == "relu":
            h = torch.relu(h)
        elif layer["kind"] == "tanh":
            h = torch.tanh(h)
    return h.numpy()
