# bug: recal_conv, recal_conv_net
# hint: _BatchNorm, 1d/2d/3d
import torch
import torch.nn as nn


def recalibrate_bn(model, x, batch_size=256):
    norms = [m for m in model.modules() if isinstance(m, nn.BatchNorm1d)]  # misses BatchNorm2d
    momenta = [m.momentum for m in norms]
    model.eval()
    for m in norms:
        m.reset_running_stats()
        m.momentum = None
        m.train()
    with torch.no_grad():
        for batch in x.split(batch_size):
            model(batch)
    for m, momentum in zip(norms, momenta):
        m.momentum = momentum
    model.eval()
