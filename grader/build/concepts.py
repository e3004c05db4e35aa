"""The concepts the deck's cards are tagged with: one vocabulary shared by every drill.

Each drill's drill.py maps its cards to these keys (`concepts=`): by question label ("cold",
"Q1", "F3", "P1"; a probe without its own key takes its question's), by target name for
spot-the-bug cards, or by "bug:<mutant name>" to override a target's concept. A test fails when
a card has no concept or one outside this vocabulary, so a new question cannot go untagged.
The keywords find, in a drill's headings, the section to reread when a concept is weak.
"""
VOCABULARY = {
    "p-notation": ("the notation of p (drop or keep)", ("notation", "what does $p$ mean")),
    "purpose": ("what dropout buys and costs", ("falls short", "claim", "evidence")),
    "inverted-scale": ("the 1/(1-p) scale and where it goes",
                       ("$1/(1-p)$", "scale at training", "two places")),
    "train-eval": ("train versus eval mode", ("the loop", "trap 1", "trap 2", "eval")),
    "implementation": ("a correct dropout module (mask, gradient, in place)",
                       ("the spec", "#1 bug", "the mask")),
    "export-fold": ("the export fold", ("which weights", "exporter", "blow-up")),
    "ensemble": ("dropout as an ensemble", ("ensemble",)),
    "noise-moments": ("the noise's moments (Gaussian dropout, L2)",
                      ("gaussian dropout", "moment")),
    "mc-variance": ("MC dropout's mean and variance", ("estimator", "how many passes")),
    "bn-shift": ("the BatchNorm variance shift", ("variance shift", "batchnorm")),
    "structured": ("structured dropout on feature maps (channels, blocks)",
                   ("per-element dropout", "dropblock", "feature maps")),
    "drop-path": ("DropPath and stochastic depth", ("droppath",)),
    "dropconnect": ("DropConnect: dropping weights", ("dropconnect",)),
    "mask-memory": ("the mask's memory", ("keeps for backward", "the bill")),
    "seeded-masks": ("seeded masks: the same mask twice", ("draw the mask again", "same mask")),
    "fused-kernels": ("fused dropout kernels", ("numbers from", "fused")),
}


def name(concept):
    return VOCABULARY[concept][0]


def concept_of(card, mapping):
    """The concept a drill's mapping gives a card (None when it gives none)."""
    for key in card.get("keys", ()):
        if key in mapping:
            return mapping[key]
    return None


def reread(concept, headings, fallback=""):
    """The first heading of a drill that names the concept (by its keywords), else fallback."""
    words = VOCABULARY.get(concept, ("", ()))[1]
    for heading in headings:
        if any(w in heading.lower() for w in words):
            return heading
    return fallback
