def dropout_variance(mean, var, p):
    """The same formula rearranged: var / (1-p) plus the mean's share p mean^2 / (1-p)."""
    keep = 1 - p
    return var / keep + p * mean ** 2 / keep, var + 0 * mean
