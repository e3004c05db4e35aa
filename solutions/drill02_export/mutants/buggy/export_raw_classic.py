# bug: export_classic, depths, input_dropout, per_layer_p, no_bias, float64, relu_between, bad_nets, export_depths, export_input_dropout, export_per_layer_p, export_no_bias, export_float64, export_p_zero, export_before_first_linear, export_bad_nets
# hint: exported raw
import numpy as np
import torch
import torch.nn as nn


def export_weights(model):
    """Every dropout treated as nn.Dropout: the raw weights of a classic net are exported."""
    layers = []
    for layer in model:
        if isinstance(layer, nn.Linear):
            bias = None if layer.bias is None else layer.bias.detach().numpy().copy()
            layers.append({"kind": "linear", "weight": layer.weight.detach().numpy().copy(),
                           "bias": bias})
        elif isinstance(layer, nn.ReLU):
            layers.append({"kind": "relu"})
        elif isinstance(layer, nn.Tanh):
            layers.append({"kind": "tanh"})
    return layers
