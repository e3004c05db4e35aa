# bug: export_classic, depths, input_dropout, per_layer_p, bias_untouched, float64, relu_between, export_depths, export_input_dropout, export_per_layer_p, export_bias_untouched, export_float64, export_p_zero, export_before_first_linear
# hint: a bias was changed
import numpy as np
import torch
import torch.nn as nn


def export_weights(model):
    """The consumer's weight AND bias are multiplied by 1 - p."""
    layers, keep = [], None
    for i, layer in enumerate(model):
        if isinstance(layer, ClassicDropout):
            keep = 1.0 - layer.p
        elif isinstance(layer, nn.Dropout):
            continue
        elif isinstance(layer, nn.Linear):
            weight = layer.weight.detach().numpy().copy()
            bias = None if layer.bias is None else layer.bias.detach().numpy().copy()
            if keep is not None:
                weight = weight * keep
                bias = None if bias is None else bias * keep
                keep = None
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
