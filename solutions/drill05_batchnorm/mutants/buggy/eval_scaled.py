# bug: variance_eval, variance_many_p, variance_dtype, variance_far_p, variance_float32
# hint: eval mode is the identity
def dropout_variance(mean, var, p):
    # scales at eval as if dropout were not inverted
    keep = 1.0 - p
    return (var + mean * mean) / keep - mean * mean, var * keep ** 2
