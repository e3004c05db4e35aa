# bug: variance_train, variance_many_p, variance_dtype, variance_far_p, variance_float32
# hint: p is the DROP probability
def dropout_variance(mean, var, p):
    # treats p as the keep probability
    return (var + mean * mean) / p - mean * mean, var.clone()
