import numpy as np
import torch
import torch.nn as nn


def _consumer(model, i):
    """Index of the Linear that consumes layer i's output (skipping ReLUs), or raise."""
    j = i + 1
    while j < len(model) and isinstance(model[j], nn.ReLU):
        j += 1
    if j == len(model) or not isinstance(model[j], nn.Linear):
        raise ValueError(f"ClassicDropout at position {i}: no Linear to fold 1 - p into")
    return j


def export_weights(model):
    scale = {}
    for i, layer in enumerate(model):
        if isinstance(layer, ClassicDropout):
            j = _consumer(model, i)
            scale[j] = scale.get(j, 1.0) * (1 - layer.p)
    layers = []
    for i, layer in enumerate(model):
        if isinstance(layer, nn.Linear):
            w = layer.weight.detach().numpy().copy() * scale.get(i, 1.0)
            b = layer.bias
            layers.append(dict(kind="linear", weight=w,
                               bias=None if b is None else b.detach().numpy().copy()))
        elif isinstance(layer, (nn.ReLU, nn.Tanh)):
            layers.append({"kind": "relu" if isinstance(layer, nn.ReLU) else "tanh"})
    return layers
