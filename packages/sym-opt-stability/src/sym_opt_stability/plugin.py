"""symcore hooks of sym-opt-stability: the stability rewrites, registered into the
``stabilize`` phase (position 1.5, between canonicalization and specialization).

Every rewrite is tagged ``fast_run``, ``stabilize`` and ``sym_opt_stability``, so
``mode.excluding("stabilize")`` (or ``"sym_opt_stability"``, or a rewrite's name) turns
them off.
"""

from __future__ import annotations

from typing import Any

from symcore.plugins import hookimpl

from sym_opt_stability import crossentropy, erf, logexp, sigmoid, softmax, stable_products

#: Tags of every rewrite of this package.
TAGS = ("fast_run", "stabilize", "sym_opt_stability")

#: ``(name, rewriter, phase)`` in registration order.
REWRITES: tuple[tuple[str, Any, str], ...] = (
    ("local_stable_product", stable_products.local_stable_product, "stabilize"),
    ("local_sigmoid_complement_sum", stable_products.local_sigmoid_complement_sum, "stabilize"),
    ("local_log1p", logexp.local_log1p, "stabilize"),
    ("local_expm1", logexp.local_expm1, "stabilize"),
    ("local_log_exp", logexp.local_log_exp, "stabilize"),
    ("local_log1p_exp_neg", logexp.local_log1p_exp_neg, "stabilize"),
    ("local_log_square", logexp.local_log_square, "stabilize"),
    ("local_sqrt_square", logexp.local_sqrt_square, "stabilize"),
    ("local_one_minus_sigmoid", sigmoid.local_one_minus_sigmoid, "stabilize"),
    ("local_log_sigmoid", sigmoid.local_log_sigmoid, "stabilize"),
    ("local_log1p_exp", sigmoid.local_log1p_exp, "stabilize"),
    ("local_log_softmax", softmax.local_log_softmax, "stabilize"),
    ("local_logsumexp", softmax.local_logsumexp, "stabilize"),
    ("local_softmax_grad_reciprocal", softmax.local_softmax_grad_reciprocal, "stabilize"),
    ("local_sum_broadcast_factor", softmax.local_sum_broadcast_factor, "stabilize"),
    ("local_crossentropy_softmax_1hot", crossentropy.local_crossentropy_softmax_1hot, "stabilize"),
    (
        "local_crossentropy_softmax_1hot_grad",
        crossentropy.local_crossentropy_softmax_1hot_grad,
        "stabilize",
    ),
    ("local_erf_complement", erf.local_erf_complement, "stabilize"),
    ("local_log_erfc", erf.local_log_erfc, "stabilize"),
    ("local_log1p_erf", erf.local_log1p_erf, "stabilize"),
)

STATUS = f"{len(REWRITES)} numerical-stability rewrites in the stabilize phase"


@hookimpl
def symcore_register_rewrites(registry: Any) -> None:
    for name, rewriter, phase in REWRITES:
        registry.add_rewrite(name, rewriter, *TAGS, phase=phase)


@hookimpl
def symcore_info() -> dict[str, str]:
    return {"status": STATUS}
