# bug: relu_between, export_before_first_linear
# hint: raised ValueError
import numpy as np
import torch
import torch.nn as nn


def export_weights(model):
    """Folds only when the very next module is a Linear; anything else raises."""
    layers, keep = [], None
    for i, layer in enumerate(model):
        if isinstance(layer, ClassicDropout):
            if i + 1 == len(model) or not isinstance(model[i + 1], nn.Linear):
                raise ValueError(f"layer {i}: ClassicDropout is not followed by a Linear")
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
            layers.append({"kind": "tanh"})
    return layers
