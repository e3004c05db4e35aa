# bug: saved_bytes_inputs
# hint: you counted the module's parameters
import torch


def saved_bytes(fn, *args):
    alive = {t.untyped_storage().data_ptr() for t in args if isinstance(t, torch.Tensor)}
    kept = {}

    def pack(t):
        if t.untyped_storage().data_ptr() not in alive:
            kept[t.untyped_storage().data_ptr()] = t
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        fn(*args)
    return sum(t.untyped_storage().nbytes() for t in kept.values())
