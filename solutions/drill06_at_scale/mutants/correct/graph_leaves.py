import torch


def _leaf_storages(y):
    """Storages of the graph's leaves (inputs and parameters), found from the output."""
    found, stack, seen = set(), [getattr(y, "grad_fn", None)], set()
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        if hasattr(node, "variable"):  # AccumulateGrad: its variable is a leaf
            found.add(node.variable.untyped_storage().data_ptr())
        stack.extend(n for n, _ in node.next_functions)
    return found


def saved_bytes(fn, *args):
    """Finds inputs and parameters as the graph's leaves instead of from args/parameters()."""
    kept = {}

    def pack(t):
        kept[t.untyped_storage().data_ptr()] = t
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        y = fn(*args)
    leaves = _leaf_storages(y)
    leaves |= {a.untyped_storage().data_ptr() for a in args if isinstance(a, torch.Tensor)}
    return sum(t.numel() * t.element_size() for key, t in kept.items() if key not in leaves)
