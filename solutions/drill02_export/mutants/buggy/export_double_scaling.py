# bug: export_inverted, per_layer_p, no_bias, export_per_layer_p, export_no_bias, export_float64, export_bad_nets
# hint: double scaling
import numpy as np
import torch
import torch.nn as nn


def export_weights(model):
    """Article 000's fix applied to every dropout: nn.Dropout's consumer is scaled too."""
    layers, keep = [], None
    for i, layer in enumerate(model):
        if isinstance(layer, (ClassicDropout, nn.Dropout)):
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
            if keep is not None and isinstance(model[i - 1], ClassicDropout):
                raise ValueError(f"layer {i - 1}: ClassicDropout feeds a Tanh")
            layers.append({"kind": "tanh"})
    if any(isinstance(m, ClassicDropout) for m in model) and keep is not None:
        raise ValueError("the last ClassicDropout has no Linear after it")
    return layers
