import torch
import torch.nn as nn


def recalibrate_bn(model, x, batch_size=256):
    """torch.optim.swa_utils.update_bn, made safe: it calls model.train(), which would turn
    dropout on, so every dropout's p is set to 0 for the pass and restored afterwards."""
    drops = [m for m in model.modules() if isinstance(m, nn.modules.dropout._DropoutNd)]
    saved = [m.p for m in drops]
    for m in drops:
        m.p = 0.0
    try:
        torch.optim.swa_utils.update_bn(list(x.split(batch_size)), model)
    finally:
        for m, p in zip(drops, saved):
            m.p = p
    model.eval()
