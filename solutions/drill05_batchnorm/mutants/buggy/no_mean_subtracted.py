# bug: variance_train, variance_many_p, variance_dtype, variance_far_p, variance_float32
# hint: subtract the squared mean
def dropout_variance(mean, var, p):
    # returns E[y^2], not the variance
    return (var + mean * mean) / (1.0 - p), var.clone()
