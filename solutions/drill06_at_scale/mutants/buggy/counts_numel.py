# bug: saved_bytes_known, saved_bytes_inputs, counted_once, saved_bytes_dedupe
# hint: you counted elements
import torch
import torch.nn as nn


def saved_bytes(fn, *args):
    alive = {t.untyped_storage().data_ptr() for t in args if isinstance(t, torch.Tensor)}
    if isinstance(fn, nn.Module):
        alive |= {t.untyped_storage().data_ptr() for t in fn.parameters()}
    kept = {}

    def pack(t):
        if t.untyped_storage().data_ptr() not in alive:
            kept[t.untyped_storage().data_ptr()] = t
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        fn(*args)
    return sum(t.numel() for t in kept.values())  # elements, not bytes
