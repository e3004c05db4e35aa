# bug: p_zero, export_p_zero
# hint: raised ValueError
import numpy as np
import torch
import torch.nn as nn


def export_weights(model):
    """Refuses dropout layers with p = 0 ("a dropout that drops nothing is a mistake")."""
    layers, keep = [], None
    for i, layer in enumerate(model):
        if isinstance(layer, (ClassicDropout, nn.Dropout)) and not 0 < layer.p < 1:
            raise ValueError(f"layer {i}: p must be in (0, 1)")
        if isinstance(layer, ClassicDropout):
            keep = 1.0 - layer.p
        elif isinstance(layer, nn.Dropout):
            continue
        elif isinstance(layer, nn.Linear):
            weight = layer.weight.detach().numpy().copy()
            if keep is not None:
                weight, keep = weight * keep, None
            bias = None if layer.bias is None else layer.bias.detach().numpy().copy()
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
