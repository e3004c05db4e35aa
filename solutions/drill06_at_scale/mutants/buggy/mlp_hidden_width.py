# bug: memory_vs_block, mask_dtype, p_zero, memory_dtypes, memory_p_zero
# hint: the MLP's hidden width
import torch


def dropout_memory(batch, seq, d_model, n_heads, n_layers, p_attn, p_resid, dtype):
    size = torch.empty((), dtype=dtype).element_size()
    attn = batch * n_heads * seq * seq * n_layers * size if p_attn > 0 else 0
    resid = batch * seq * d_model * n_layers * size if p_resid > 0 else 0
    mlp = 4 * resid  # dropout placed on the 4*d_model hidden layer
    return {"attn": attn, "resid": resid, "mlp": mlp, "total": attn + resid + mlp}
