# bug: mask_dtype, memory_dtypes
# hint: 4 bytes per element whatever the dtype
def dropout_memory(batch, seq, d_model, n_heads, n_layers, p_attn, p_resid, dtype):
    attn = 4 * batch * n_heads * seq * seq * n_layers if p_attn > 0 else 0
    resid = 4 * batch * seq * d_model * n_layers if p_resid > 0 else 0
    return {"attn": attn, "resid": resid, "mlp": resid, "total": attn + 2 * resid}
