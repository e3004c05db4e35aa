# bug: no_bias, export_no_bias
# hint: raised AttributeError
import numpy as np
import torch
import torch.nn as nn


def export_weights(model):
    """Assumes every Linear has a bias."""
    layers, keep = [], None
    for i, layer in enumerate(model):
        if isinstance(layer, ClassicDropout):
            keep = 1.0 - layer.p
        elif isinstance(layer, nn.Dropout):
            continue
        elif isinstance(layer, nn.Linear):
            weight = layer.weight.detach().numpy().copy()
            if keep is not None:
                weight, keep = weight * keep, None
            layers.append({"kind": "linear", "weight": weight,
                           "bias": layer.bias.detach().numpy().copy()})
        elif isinstance(layer, nn.ReLU):
            layers.append({"kind": "relu"})
        elif isinstance(layer, nn.Tanh):
            if keep is not None:
                raise ValueError(f"layer {i}: a ClassicDropout feeds this Tanh")
            layers.append({"kind": "tanh"})
    if keep is not None:
        raise ValueError("a ClassicDropout has no Linear after it")
    return layers
