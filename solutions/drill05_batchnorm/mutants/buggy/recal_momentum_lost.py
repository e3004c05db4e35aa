# bug: recal_mode
# hint: restore it afterwards
import torch
import torch.nn as nn


def recalibrate_bn(model, x, batch_size=256):
    model.eval()
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.reset_running_stats()
            m.momentum = None  # never restored
            m.train()
    with torch.no_grad():
        for batch in x.split(batch_size):
            model(batch)
    model.eval()
