"""The README table: each rewrite, an input where the naive formula fails, the naive result
(compiled with ``mode.excluding("stabilize")``) and the rewritten one (default rewrites).

The table in ``README.md`` is generated from :data:`ROWS` (``python -m
sym_opt_stability.table`` prints it) and the tests check every row in float64 and float32
against a NumPy/SciPy reference.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import symcore
import symcore.tensor as T
from scipy import special as sp
from symcore.graph.basic import Variable

__all__ = ["ROWS", "Row", "compile_row", "evaluate", "markdown_table"]

DTYPES = ("float64", "float32")


@dataclass(frozen=True)
class Row:
    """One line of the table.

    ``build(x)`` makes the naive formula; the row's quantity is that formula, or with
    ``grad=True`` the gradient of its sum with respect to ``x``. ``inputs[dtype]`` is where
    the naive form fails in that dtype; ``reference(x)`` computes the quantity in float64
    with NumPy/SciPy's stable functions.
    """

    rewrite: str
    formula: str
    build: Callable[[Variable], Variable]
    inputs: dict[str, list]
    reference: Callable[[np.ndarray], np.ndarray]
    grad: bool = False


def _sigmoid(x):
    return np.exp(-np.logaddexp(0, -x))


def _softmax(x):
    return sp.softmax(x, axis=-1)


def _logerfc(x):
    return np.log(sp.erfcx(x)) - x * x


def _seed_xent(x):
    p = 1 / (1 + T.exp(-x))
    y = T.constant(np.array([1.0, 0.0], dtype=x.dtype))
    return -y * T.log(p) - (1 - y) * T.log(1 - p)


def _seed_xent_ref(x):
    y = np.array([1.0, 0.0])
    return y * np.logaddexp(0, -x) + (1 - y) * np.logaddexp(0, x)


def _seed_xent_grad_ref(x):
    return _sigmoid(x) - np.array([1.0, 0.0])


def _categorical(x):
    labels = T.constant(np.array([1], dtype="int64"))
    return T.nnet.categorical_crossentropy(T.nnet.softmax(x), labels)


def _categorical_ref(x):
    return -(x[:, 1] - sp.logsumexp(x, axis=-1))


def _categorical_grad_ref(x):
    return _softmax(x) - np.array([[0.0, 1.0]])


def _log_naive_softmax(x):
    return T.log(T.exp(x) / T.exp(x).sum(axis=-1, keepdims=True))


ROWS: tuple[Row, ...] = (
    Row(
        "log(1+x) → log1p(x)",
        "log(1 + x)",
        lambda x: T.log(1 + x),
        {"float64": [1e-20], "float32": [1e-10]},
        np.log1p,
    ),
    Row(
        "log(1-x) → log1p(-x)",
        "log(1 - x)",
        lambda x: T.log(1 - x),
        {"float64": [1e-20], "float32": [1e-10]},
        lambda x: np.log1p(-x),
    ),
    Row(
        "exp(x)-1 → expm1(x)",
        "exp(x) - 1",
        lambda x: T.exp(x) - 1,
        {"float64": [1e-20], "float32": [1e-10]},
        np.expm1,
    ),
    Row(
        "log(exp(x)) → x",
        "log(exp(x))",
        lambda x: T.log(T.exp(x)),
        {"float64": [1000.0], "float32": [100.0]},
        lambda x: x,
    ),
    Row(
        "log(1-exp(x)) → log1mexp(x)",
        "log(1 - exp(x))",
        lambda x: T.log(1 - T.exp(x)),
        {"float64": [-1e-20], "float32": [-1e-10]},
        lambda x: np.log(-np.expm1(x)),
    ),
    Row(
        "1/(1+exp(-x)) → sigmoid(x)",
        "1 / (1 + exp(-x))",
        lambda x: 1 / (1 + T.exp(-x)),
        {"float64": [-710.0], "float32": [-100.0]},
        _sigmoid,
    ),
    Row(
        "1/(1+exp(-x)) → sigmoid(x)",
        "1 / (1 + exp(-x))",
        lambda x: 1 / (1 + T.exp(-x)),
        {"float64": [-1000.0], "float32": [-1000.0]},
        lambda x: _sigmoid(x) * _sigmoid(-x),
        grad=True,
    ),
    Row(
        "exp(x)/(1+exp(x)) → sigmoid(x)",
        "exp(x) / (1 + exp(x))",
        lambda x: T.exp(x) / (1 + T.exp(x)),
        {"float64": [1000.0], "float32": [100.0]},
        _sigmoid,
    ),
    Row(
        "1-sigmoid(x) → sigmoid(-x)",
        "1 - sigmoid(x)",
        lambda x: 1 - T.nnet.sigmoid(x),
        {"float64": [40.0], "float32": [20.0]},
        lambda x: _sigmoid(-x),
    ),
    Row(
        "log(sigmoid(x)) → -softplus(-x)",
        "log(sigmoid(x))",
        lambda x: T.log(T.nnet.sigmoid(x)),
        {"float64": [-1000.0], "float32": [-1000.0]},
        sp.log_expit,
    ),
    Row(
        "log(1-sigmoid(x)) → -softplus(x)",
        "log(1 - sigmoid(x))",
        lambda x: T.log(1 - T.nnet.sigmoid(x)),
        {"float64": [1000.0], "float32": [1000.0]},
        lambda x: sp.log_expit(-x),
    ),
    Row(
        "log(1-sigmoid(x)) → -softplus(x)",
        "log(1 - sigmoid(x))",
        lambda x: T.log(1 - T.nnet.sigmoid(x)),
        {"float64": [1000.0], "float32": [1000.0]},
        lambda x: -_sigmoid(x),
        grad=True,
    ),
    Row(
        "log(1+exp(x)) → softplus(x)",
        "log(1 + exp(x))",
        lambda x: T.log(1 + T.exp(x)),
        {"float64": [1000.0], "float32": [100.0]},
        lambda x: np.logaddexp(0, x),
    ),
    Row(
        "log1p(exp(x)) → softplus(x)",
        "log1p(exp(x))",
        lambda x: T.log1p(T.exp(x)),
        {"float64": [1000.0], "float32": [100.0]},
        lambda x: np.logaddexp(0, x),
    ),
    Row(
        "log1p(exp(x)) → softplus(x)",
        "log1p(exp(x))",
        lambda x: T.log1p(T.exp(x)),
        {"float64": [1000.0], "float32": [100.0]},
        _sigmoid,
        grad=True,
    ),
    Row(
        "exp(a)/sum(exp(a)) → softmax(a)",
        "exp(a) / exp(a).sum(-1, keepdims=True)",
        lambda x: T.exp(x) / T.exp(x).sum(axis=-1, keepdims=True),
        {"float64": [[1000.0, 0.0]], "float32": [[100.0, 0.0]]},
        _softmax,
    ),
    Row(
        "log(softmax(a)) → log_softmax(a)",
        "log(softmax(a))",
        lambda x: T.log(T.nnet.softmax(x)),
        {"float64": [[0.0, -1000.0]], "float32": [[0.0, -1000.0]]},
        lambda x: sp.log_softmax(x, axis=-1),
    ),
    Row(
        "log(exp(a)/sum(exp(a))) → log_softmax(a)",
        "log(exp(a) / exp(a).sum(-1, keepdims=True))",
        _log_naive_softmax,
        {"float64": [[1000.0, 0.0]], "float32": [[100.0, 0.0]]},
        lambda x: 1 - x.shape[-1] * _softmax(x),
        grad=True,
    ),
    Row(
        "log(sum(exp(a))) → logsumexp(a)",
        "log(exp(a).sum(-1))",
        lambda x: T.log(T.exp(x).sum(axis=-1)),
        {"float64": [[1000.0, 0.0]], "float32": [[100.0, 0.0]]},
        lambda x: sp.logsumexp(x, axis=-1),
    ),
    Row(
        "log(sum(exp(a))) → logsumexp(a)",
        "log(exp(a).sum(-1))",
        lambda x: T.log(T.exp(x).sum(axis=-1)),
        {"float64": [[1000.0, 0.0]], "float32": [[100.0, 0.0]]},
        _softmax,
        grad=True,
    ),
    Row(
        "categorical_crossentropy(softmax(x), y) → fused op",
        "categorical_crossentropy(softmax(x), y=[1])",
        _categorical,
        {"float64": [[0.0, -1000.0]], "float32": [[0.0, -1000.0]]},
        _categorical_ref,
    ),
    Row(
        "categorical_crossentropy(softmax(x), y) → fused op",
        "categorical_crossentropy(softmax(x), y=[1])",
        _categorical,
        {"float64": [[0.0, -1000.0]], "float32": [[0.0, -1000.0]]},
        _categorical_grad_ref,
        grad=True,
    ),
    Row(
        "seed cross-entropy, p = 1/(1+exp(-x))",
        "-y*log(p) - (1-y)*log(1-p), y=[1, 0]",
        _seed_xent,
        {"float64": [-1000.0, 1000.0], "float32": [-1000.0, 1000.0]},
        _seed_xent_ref,
    ),
    Row(
        "seed cross-entropy, p = 1/(1+exp(-x))",
        "-y*log(p) - (1-y)*log(1-p), y=[1, 0]",
        _seed_xent,
        {"float64": [-1000.0, 1000.0], "float32": [-1000.0, 1000.0]},
        _seed_xent_grad_ref,
        grad=True,
    ),
    Row(
        "sqrt(x**2) → abs(x)",
        "sqrt(x**2)",
        lambda x: T.sqrt(x**2),
        {"float64": [1e200], "float32": [1e30]},
        np.abs,
    ),
    Row(
        "log(x**2) → 2*log(abs(x))",
        "log(x**2)",
        lambda x: T.log(x**2),
        {"float64": [1e-200], "float32": [1e-30]},
        lambda x: 2 * np.log(np.abs(x)),
    ),
    Row(
        "log(x**2) → 2*log(abs(x))",
        "log(x**2)",
        lambda x: T.log(x**2),
        {"float64": [1e-200], "float32": [1e-30]},
        lambda x: 2 / x,
        grad=True,
    ),
    Row(
        "log(erfc(x)) → stable log-erfc",
        "log(erfc(x))",
        lambda x: T.log(T.erfc(x)),
        {"float64": [30.0], "float32": [12.0]},
        _logerfc,
    ),
    Row(
        "log(erfc(x)) → stable log-erfc",
        "log(erfc(x))",
        lambda x: T.log(T.erfc(x)),
        {"float64": [30.0], "float32": [12.0]},
        lambda x: -2 / math.sqrt(math.pi) / sp.erfcx(x),
        grad=True,
    ),
    Row(
        "1-erf(x) → erfc(x)",
        "1 - erf(x)",
        lambda x: 1 - T.erf(x),
        {"float64": [10.0], "float32": [5.0]},
        sp.erfc,
    ),
    Row(
        "1+erf(x) → erfc(-x)",
        "1 + erf(x)",
        lambda x: 1 + T.erf(x),
        {"float64": [-10.0], "float32": [-5.0]},
        lambda x: sp.erfc(-x),
    ),
    Row(
        "1-erfc(x) → erf(x)",
        "1 - erfc(x)",
        lambda x: 1 - T.erfc(x),
        {"float64": [1e-20], "float32": [1e-10]},
        sp.erf,
    ),
)


def _variable(value: list, dtype: str) -> Variable:
    nd = np.ndim(value)
    return T.tensor(dtype, (False,) * nd, name="x")


def compile_row(row: Row, dtype: str, stabilize: bool) -> tuple[Variable, Callable]:
    """``(x, f)`` where ``f`` computes the row's quantity, with the stability rewrites or
    with ``mode.excluding("stabilize")``, on the reference (NumPy) backend."""
    x = _variable(row.inputs[dtype], dtype)
    out = row.build(x)
    if row.grad:
        out = T.grad(out.sum(), x)
    mode = symcore.Mode(linker="py")
    if not stabilize:
        mode = mode.excluding("stabilize")
    return x, symcore.function([x], out, mode=mode)


def evaluate(row: Row, dtype: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(naive, rewritten, reference)`` for ``row`` in ``dtype``."""
    value = np.asarray(row.inputs[dtype], dtype=dtype)
    results = []
    for stabilize in (False, True):
        _, f = compile_row(row, dtype, stabilize)
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            results.append(np.asarray(f(value)))
    ref = np.asarray(row.reference(value.astype("float64")), dtype="float64")
    return results[0], results[1], ref


def _fmt(a: np.ndarray) -> str:
    flat = [f"{float(v):.6g}" for v in np.ravel(a)]
    return flat[0] if len(flat) == 1 else "[" + ", ".join(flat) + "]"


def markdown_table() -> str:
    """The README table (one line per row and dtype)."""
    lines = [
        "| Rewrite | Naive formula | Computes | dtype | x | Naive result | Rewritten | Exact |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in ROWS:
        for dtype in DTYPES:
            naive, new, ref = evaluate(row, dtype)
            what = "gradient" if row.grad else "value"
            lines.append(
                f"| {row.rewrite} | `{row.formula}` | {what} | {dtype} | "
                f"{_fmt(np.asarray(row.inputs[dtype]))} | {_fmt(naive)} | {_fmt(new)} | "
                f"{_fmt(ref.astype(dtype))} |"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown_table())
