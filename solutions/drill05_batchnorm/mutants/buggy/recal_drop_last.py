# bug: recal_conv, recal_batches, recal_conv_net, recal_ragged
# hint: the last, smaller batch was skipped
import torch
import torch.nn as nn


def recalibrate_bn(model, x, batch_size=256):
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    momenta = [m.momentum for m in norms]
    model.eval()
    for m in norms:
        m.reset_running_stats()
        m.momentum = None
        m.train()
    with torch.no_grad():
        for start in range(0, len(x) - batch_size + 1, batch_size):  # drops the ragged tail
            model(x[start:start + batch_size])
    for m, momentum in zip(norms, momenta):
        m.momentum = momentum
    model.eval()
