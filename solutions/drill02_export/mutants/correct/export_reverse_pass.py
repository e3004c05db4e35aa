import numpy as np
import torch
import torch.nn as nn


def export_weights(model):
    """Walks backwards: a ClassicDropout scales the Linear found last (the next one forward)."""
    out, target = [], None  # target: the dict of the next Linear in forward order
    for i in range(len(model) - 1, -1, -1):
        layer = model[i]
        if isinstance(layer, nn.Linear):
            target = {"kind": "linear", "weight": layer.weight.detach().cpu().numpy().copy(),
                      "bias": None if layer.bias is None else layer.bias.detach().cpu().numpy().copy()}
            out.append(target)
        elif isinstance(layer, nn.ReLU):
            out.append({"kind": "relu"})
        elif isinstance(layer, nn.Tanh):
            out.append({"kind": "tanh"})
            target = None  # a classic dropout before a tanh cannot fold
        elif isinstance(layer, ClassicDropout):
            if target is None:
                raise ValueError(f"ClassicDropout at index {i} cannot be folded")
            target["weight"] = target["weight"] * (1 - layer.p)
            target = None
        elif isinstance(layer, nn.Dropout):
            pass
        else:
            raise ValueError(f"unsupported layer {i}")
    return out[::-1]
