# bug: bad_nets, export_bad_nets
# hint: exported silently
import numpy as np
import torch
import torch.nn as nn


def export_weights(model):
    """A classic dropout that cannot be folded is dropped silently."""
    layers, keep = [], None
    for layer in model:
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
            keep = None  # "cannot fold through tanh, skip it"
            layers.append({"kind": "tanh"})
    return layers
