import torch
import torch.nn as nn


def recalibrate_bn(model, x, batch_size=256):
    """Equal weights by hand: momentum 1/k for the k-th batch, starting from zeroed stats."""
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    saved = [m.momentum for m in norms]
    model.eval()
    for m in norms:
        m.running_mean.zero_()
        m.running_var.fill_(1.0)
        m.train()
    with torch.no_grad():
        for k, batch in enumerate(torch.split(x, batch_size), start=1):
            for m in norms:
                m.momentum = 1.0 / k
            model(batch)
    for m, momentum in zip(norms, saved):
        m.momentum = momentum
    model.eval()
