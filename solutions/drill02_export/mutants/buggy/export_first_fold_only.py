# bug: export_classic, depths, per_layer_p, float64, export_depths, export_input_dropout, export_per_layer_p, export_float64, export_p_zero
# hint: exported raw
import numpy as np
import torch
import torch.nn as nn


def export_weights(model):
    """Folds the first classic dropout and forgets the rest (a flag that is never reset)."""
    layers, keep, folded = [], None, False
    for i, layer in enumerate(model):
        if isinstance(layer, ClassicDropout):
            if not folded:
                keep = 1.0 - layer.p
        elif isinstance(layer, nn.Dropout):
            continue
        elif isinstance(layer, nn.Linear):
            weight = layer.weight.detach().numpy().copy()
            if keep is not None:
                weight, keep, folded = weight * keep, None, True
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
