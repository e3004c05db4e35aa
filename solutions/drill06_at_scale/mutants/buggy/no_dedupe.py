# bug: counted_once, saved_bytes_dedupe
# hint: count each storage once
import torch
import torch.nn as nn


def saved_bytes(fn, *args):
    alive = {t.untyped_storage().data_ptr() for t in args if isinstance(t, torch.Tensor)}
    if isinstance(fn, nn.Module):
        alive |= {t.untyped_storage().data_ptr() for t in fn.parameters()}
    total = 0

    def pack(t):
        nonlocal total
        if t.untyped_storage().data_ptr() not in alive:
            total += t.numel() * t.element_size()  # every time it is saved
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        fn(*args)
    return total
