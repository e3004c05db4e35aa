import numpy as np
import torch
import torch.nn as nn


def engine_forward(layers, x):
    h = np.array(x, copy=True)
    for layer in layers:
        if layer["kind"] == "linear":
            h = np.einsum("bi,oi->bo", h, layer["weight"])
            if layer.get("bias") is not None:
                h += layer["bias"]
        elif layer["kind"] == "relu":
            h = np.where(h > 0, h, 0).astype(h.dtype)
        elif layer["kind"] == "tanh":
            h = np.tanh(h)
    return h
