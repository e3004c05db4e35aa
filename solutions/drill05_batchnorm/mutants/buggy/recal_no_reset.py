# bug: recal_stats, recal_conv, recal_batches, recal_conv_net, recal_ragged
# hint: old statistics leaked in
import torch
import torch.nn as nn


def recalibrate_bn(model, x, batch_size=256):
    # keeps the old running statistics and the momentum: a few batches barely move them
    model.eval()
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.train()
    with torch.no_grad():
        for batch in x.split(batch_size):
            model(batch)
    model.eval()
