# bug: per_layer_p, no_dropout, export_per_layer_p, export_no_bias, export_no_dropout
# hint: double scaling
import numpy as np
import torch
import torch.nn as nn


def export_weights(model):
    """Decides once whether "the model" uses classic or inverted dropout, from its first
    dropout layer (and finds none in a net without dropout)."""
    flavour = type(next(m for m in model if isinstance(m, (ClassicDropout, nn.Dropout))))
    layers, keep = [], None
    for i, layer in enumerate(model):
        if isinstance(layer, (ClassicDropout, nn.Dropout)):
            if flavour is not nn.Dropout:
                keep = 1.0 - layer.p
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
