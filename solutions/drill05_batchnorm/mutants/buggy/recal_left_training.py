# bug: recal_mode, recal_conv, recal_batches, recal_conv_net, recal_ragged
# hint: finish with model.eval()
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
        for batch in x.split(batch_size):
            model(batch)
    for m, momentum in zip(norms, momenta):
        m.momentum = momentum
    # forgets model.eval(): the BatchNorms stay in training mode
