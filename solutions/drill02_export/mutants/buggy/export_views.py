# bug: no_share, export_no_share
# hint: shares memory
import numpy as np
import torch
import torch.nn as nn


def export_weights(model):
    """.numpy() without .copy(): the exported arrays are views of the model's parameters."""
    layers, keep = [], None
    for i, layer in enumerate(model):
        if isinstance(layer, ClassicDropout):
            keep = 1.0 - layer.p
        elif isinstance(layer, nn.Dropout):
            continue
        elif isinstance(layer, nn.Linear):
            weight = layer.weight.detach().numpy()
            if keep is not None:
                weight, keep = weight * keep, None
            bias = None if layer.bias is None else layer.bias.detach().numpy()
            layers.append({"kind": "linear", "weight": weight, "bias": bias})
        elif isinstance(layer, nn.ReLU):
            layers.append({"kind": "relu"})
        elif isinstance(layer, nn.Tanh):
            if keep is not None:
                raise ValueError(f"layer {i}: a ClassicDropout feeds this Tanh")
            layers.append({"kind": "tanh"})
    if keep is not None:
        raise ValueError("a ClassicDropout has no Linear after it")
    return layers
