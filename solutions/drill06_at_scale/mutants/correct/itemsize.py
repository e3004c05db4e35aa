import torch


def dropout_memory(batch, seq, d_model, n_heads, n_layers, p_attn, p_resid, dtype):
    """Element counts first, then bytes; the element size read from a one-element tensor."""
    elements = {"attn": batch * n_heads * seq ** 2 * (p_attn > 0),
                "resid": batch * seq * d_model * (p_resid > 0),
                "mlp": batch * seq * d_model * (p_resid > 0)}
    size = torch.zeros(1, dtype=dtype).element_size()
    out = {kind: int(n) * n_layers * size for kind, n in elements.items()}
    out["total"] = sum(out.values())
    return out
