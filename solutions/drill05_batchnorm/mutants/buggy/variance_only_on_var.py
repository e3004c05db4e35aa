# bug: variance_train, variance_many_p, variance_dtype, variance_far_p, variance_float32
# hint: the mean term is missing
def dropout_variance(mean, var, p):
    # the wrong derivation: Var(m x / (1-p)) "=" Var(x) / (1-p), true only when mean = 0
    return var / (1.0 - p), var.clone()
