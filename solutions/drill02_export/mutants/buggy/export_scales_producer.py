# bug: export_classic, depths, input_dropout, per_layer_p, bias_untouched, float64, relu_between, export_depths, export_input_dropout, export_per_layer_p, export_bias_untouched, export_float64, export_p_zero, export_before_first_linear, export_bad_nets
# hint: the Linear BEFORE a ClassicDropout
import numpy as np
import torch
import torch.nn as nn


def export_weights(model):
    """Scales the Linear BEFORE the dropout (weight and bias): right for ReLU, wrong for tanh,
    and impossible for dropout on the inputs, which is silently skipped."""
    layers, last = [], None
    for i, layer in enumerate(model):
        if isinstance(layer, ClassicDropout):
            if last is None:
                continue  # nothing before it to scale
            keep = 1.0 - layer.p
            last["weight"] = last["weight"] * keep
            if last["bias"] is not None:
                last["bias"] = last["bias"] * keep
            if i + 1 == len(model) or isinstance(model[i + 1], nn.Tanh):
                raise ValueError(f"layer {i}: this ClassicDropout cannot be folded")
        elif isinstance(layer, nn.Dropout):
            continue
        elif isinstance(layer, nn.Linear):
            bias = None if layer.bias is None else layer.bias.detach().numpy().copy()
            last = {"kind": "linear", "weight": layer.weight.detach().numpy().copy(), "bias": bias}
            layers.append(last)
        elif isinstance(layer, nn.ReLU):
            layers.append({"kind": "relu"})
        elif isinstance(layer, nn.Tanh):
            layers.append({"kind": "tanh"})
    return layers
