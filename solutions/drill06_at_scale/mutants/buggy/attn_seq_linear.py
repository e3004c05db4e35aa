# bug: memory_vs_block, mask_dtype, p_zero, memory_dtypes, memory_p_zero
# hint: seq instead of seq^2
import torch


def dropout_memory(batch, seq, d_model, n_heads, n_layers, p_attn, p_resid, dtype):
    size = torch.empty((), dtype=dtype).element_size()
    attn = batch * n_heads * seq * n_layers * size if p_attn > 0 else 0  # one row per query?
    resid = batch * seq * d_model * n_layers * size if p_resid > 0 else 0
    return {"attn": attn, "resid": resid, "mlp": resid, "total": attn + 2 * resid}
