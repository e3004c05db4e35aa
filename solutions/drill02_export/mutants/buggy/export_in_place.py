# bug: no_share, export_no_share
# hint: changed the model's own parameters
import numpy as np
import torch
import torch.nn as nn


def export_weights(model):
    """Folds 1 - p into the model's own weights (in place), then exports copies."""
    layers, keep = [], None
    for i, layer in enumerate(model):
        if isinstance(layer, ClassicDropout):
            keep = 1.0 - layer.p
        elif isinstance(layer, nn.Dropout):
            continue
        elif isinstance(layer, nn.Linear):
            if keep is not None:
                with torch.no_grad():
                    layer.weight.mul_(keep)
                keep = None
            bias = None if layer.bias is None else layer.bias.detach().numpy().copy()
            layers.append({"kind": "linear", "weight": layer.weight.detach().numpy().copy(),
                           "bias": bias})
        elif isinstance(layer, nn.ReLU):
            layers.append({"kind": "relu"})
        elif isinstance(layer, nn.Tanh):
            if keep is not None:
                raise ValueError(f"layer {i}: a ClassicDropout feeds this Tanh")
            layers.append({"kind": "tanh"})
    if keep is not None:
        raise ValueError("a ClassicDropout has no Linear after it")
    return layers
