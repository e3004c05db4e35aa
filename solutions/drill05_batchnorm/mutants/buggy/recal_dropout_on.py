# bug: recal_stats, recal_conv, recal_batches, recal_conv_net, recal_ragged
# hint: dropout was on during recalibration
import torch
import torch.nn as nn


def recalibrate_bn(model, x, batch_size=256):
    # the torch.optim.swa_utils.update_bn recipe: model.train() also turns dropout on
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    momenta = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None
    model.train()
    with torch.no_grad():
        for batch in x.split(batch_size):
            model(batch)
    for m, momentum in zip(norms, momenta):
        m.momentum = momentum
    model.eval()
