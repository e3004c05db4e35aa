# bug: p_zero, memory_p_zero
# hint: with p = 0 dropout returns its input
import torch


def dropout_memory(batch, seq, d_model, n_heads, n_layers, p_attn, p_resid, dtype):
    size = torch.empty((), dtype=dtype).element_size()
    attn = batch * n_heads * seq * seq * n_layers * size
    resid = batch * seq * d_model * n_layers * size
    return {"attn": attn, "resid": resid, "mlp": resid, "total": attn + 2 * resid}
