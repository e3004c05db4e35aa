# bug: saved_bytes_known, saved_bytes_inputs
# hint: you counted the inputs
import torch


def saved_bytes(fn, *args):
    kept = {}

    def pack(t):
        kept[t.untyped_storage().data_ptr()] = t  # inputs and parameters included
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        fn(*args)
    return sum(t.untyped_storage().nbytes() for t in kept.values())
