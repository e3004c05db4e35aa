# bug: per_layer_p, export_input_dropout, export_per_layer_p, export_p_zero
# hint: times 1 - p of a classic dropout feeding it
import numpy as np
import torch
import torch.nn as nn


def export_weights(model):
    """One keep probability for the whole model: the first classic dropout's."""
    keep = next((1.0 - m.p for m in model if isinstance(m, ClassicDropout)), 1.0)
    layers, pending = [], False
    for i, layer in enumerate(model):
        if isinstance(layer, ClassicDropout):
            pending = True
        elif isinstance(layer, nn.Dropout):
            continue
        elif isinstance(layer, nn.Linear):
            weight = layer.weight.detach().numpy().copy()
            if pending:
                weight, pending = weight * keep, False
            bias = None if layer.bias is None else layer.bias.detach().numpy().copy()
            layers.append({"kind": "linear", "weight": weight, "bias": bias})
        elif isinstance(layer, nn.ReLU):
            layers.append({"kind": "relu"})
        elif isinstance(layer, nn.Tanh):
            if pending:
                raise ValueError(f"layer {i}: a ClassicDropout feeds this Tanh")
            layers.append({"kind": "tanh"})
    if pending:
        raise ValueError("a ClassicDropout has no Linear after it")
    return layers
