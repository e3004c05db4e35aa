# bug: variance_dtype, variance_float32
# hint: keep the input's dtype
def dropout_variance(mean, var, p):
    mean, var = mean.double(), var.double()
    return (var + mean * mean) / (1.0 - p) - mean * mean, var.clone()
