"""C expressions for scalar Ops (the bodies of elementwise loops).

``scalar_expr(op, args, in_dtypes, out_dtypes)`` returns one C expression per output, or
None when the op (or a dtype it meets, e.g. float16/complex) has no C translation; the
Elemwise node then runs its NumPy ``perform``. Semantics follow NumPy exactly (NaN
propagation in maximum/minimum, floor division and remainder signs, integer division by
zero giving 0); transcendental functions may differ by a few ulp (glibc / libmvec).
"""

from __future__ import annotations

import math
import os
import re
import sys
from collections.abc import Callable

import numpy as np
from symcore import scalar as S

from sym_backend_c.codegen.context import c_type

#: dtypes without C code here: nodes meeting them run their NumPy perform
NO_C_DTYPES = _NO_C = frozenset({"float16", "complex64", "complex128"})

ExprFn = Callable[[list[str], list[str], str], "str | None"]
_EXPRS: dict[type, ExprFn] = {}


def _reg(*classes):
    def deco(fn):
        for c in classes:
            _EXPRS[c] = fn
        return fn

    return deco


def c_literal(value, dtype: str) -> str:
    """A C literal of ``value`` in ``dtype``."""
    v = np.asarray(value).item()
    if dtype == "bool":
        return "1" if v else "0"
    if dtype.startswith(("int", "uint")):
        suffix = "ULL" if dtype.startswith("uint") else "LL"
        return f"(({c_type(dtype)}){int(v)}{suffix})"
    v = float(v)
    if math.isnan(v):
        return "NAN"
    if math.isinf(v):
        return "INFINITY" if v > 0 else "(-INFINITY)"
    lit = repr(v)
    if "e" not in lit and "." not in lit:
        lit += ".0"
    return f"(({c_type(dtype)}){lit})" if dtype == "float64" else f"(({c_type(dtype)}){lit}f)"


def _is_float(d: str) -> bool:
    return d in ("float32", "float64")


def _fn(name: str, dtype: str) -> str:
    """libm function name for the dtype (``expf`` for float32)."""
    return name + "f" if dtype == "float32" else name


def _cast(a: str, dtype: str) -> str:
    return f"(({c_type(dtype)})({a}))"


def scalar_expr(
    op, args: list[str], in_dtypes: list[str], out_dtypes: list[str]
) -> list[str] | None:
    if any(d in _NO_C for d in list(in_dtypes) + list(out_dtypes)):
        return None
    for cls in type(op).__mro__:
        fn = _EXPRS.get(cls)
        if fn is not None:
            e = fn(args, in_dtypes, out_dtypes[0])
            return None if e is None else [e]
    return None


# -- arithmetic ------------------------------------------------------------------------
@_reg(S.Add)
def _add(a, dts, out):
    if out == "bool":
        return "(" + " || ".join(a) + ")"
    return "(" + " + ".join(_cast(x, out) for x in a) + ")"


@_reg(S.Mul)
def _mul(a, dts, out):
    if out == "bool":
        return "(" + " && ".join(a) + ")"
    return "(" + " * ".join(_cast(x, out) for x in a) + ")"


@_reg(S.Sub)
def _sub(a, dts, out):
    if out == "bool":
        return None
    return f"({_cast(a[0], out)} - {_cast(a[1], out)})"


@_reg(S.TrueDiv)
def _truediv(a, dts, out):
    return f"({_cast(a[0], out)} / {_cast(a[1], out)})"


@_reg(S.IntDiv)
def _intdiv(a, dts, out):
    if _is_float(out):
        return f"symc_floordiv_{out}({_cast(a[0], out)}, {_cast(a[1], out)})"
    if out == "bool":
        return None
    return f"symc_ifloordiv_{out}({_cast(a[0], out)}, {_cast(a[1], out)})"


@_reg(S.Mod)
def _mod(a, dts, out):
    if _is_float(out):
        return f"symc_remainder_{out}({_cast(a[0], out)}, {_cast(a[1], out)})"
    if out == "bool":
        return None
    return f"symc_imod_{out}({_cast(a[0], out)}, {_cast(a[1], out)})"


#: A float literal with an integer value, as ``c_literal`` writes it: ``((double)10.0)``.
_INT_VALUED_LITERAL = re.compile(r"^\(\((?:double|float)\)(-?\d+)\.0f?\)$")


@_reg(S.Pow)
def _pow(a, dts, out):
    if not _is_float(out):
        return None  # integer powers (negative exponents raise in NumPy): use perform
    m = _INT_VALUED_LITERAL.match(a[1])
    if m and abs(int(m.group(1))) <= 64:
        # a constant integer exponent (x**2, x**10 in fused code): straight-line
        # multiplications by repeated squaring, which vectorize (NumPy calls pow: results
        # are a few ulp apart); the compiler merges the repeated squares
        return _powi(_cast(a[0], out), int(m.group(1)), out)
    return f"{_fn('pow', out)}({_cast(a[0], out)}, {_cast(a[1], out)})"


def _powi(x: str, n: int, out: str) -> str:
    """``x**n`` for a constant integer ``n`` as one C expression of multiplications."""
    if n == 0:
        return _cast("1", out)
    terms, square, k = [], x, abs(n)
    while k:
        if k & 1:
            terms.append(square)
        k >>= 1
        if k:
            square = f"({square} * {square})"
    prod = " * ".join(terms)
    return f"({_cast('1', out)} / ({prod}))" if n < 0 else f"({prod})"


@_reg(S.Neg)
def _neg(a, dts, out):
    return None if out == "bool" else f"(-{_cast(a[0], out)})"


@_reg(S.Abs)
def _abs(a, dts, out):
    if _is_float(out):
        return f"{_fn('fabs', out)}({_cast(a[0], out)})"
    if out == "bool" or out.startswith("uint"):
        return _cast(a[0], out)
    x = _cast(a[0], out)
    return f"({x} < 0 ? ({c_type(out)})(-{x}) : {x})"


@_reg(S.Sgn)
def _sgn(a, dts, out):
    x = _cast(a[0], out)
    if _is_float(out):
        return f"({x} > 0 ? ({c_type(out)})1 : ({x} < 0 ? ({c_type(out)})-1 : {x}))"
    return f"(({c_type(out)})(({x} > 0) - ({x} < 0)))"


@_reg(S.Inv)
def _inv(a, dts, out):
    return f"(({c_type(out)})1 / {_cast(a[0], out)})"


@_reg(S.Sqr)
def _sqr(a, dts, out):
    if out == "bool":
        return a[0]
    x = _cast(a[0], out)
    return f"({x} * {x})"


def _maxmin(cmp: str):
    def fn(a, dts, out):
        x, y = _cast(a[0], out), _cast(a[1], out)
        if _is_float(out):  # NumPy propagates NaN from either side
            return f"(({x} {cmp}= {y} || {x} != {x}) ? {x} : {y})"
        return f"(({x} {cmp}= {y}) ? {x} : {y})"

    return fn


_reg(S.Maximum)(_maxmin(">"))
_reg(S.Minimum)(_maxmin("<"))


@_reg(S.Clip)
def _clip(a, dts, out):
    mx = _maxmin(">")([a[0], a[1]], dts, out)
    return _maxmin("<")([mx, a[2]], dts, out)


@_reg(S.Switch)
def _switch(a, dts, out):
    return f"(({a[0]}) ? {_cast(a[1], out)} : {_cast(a[2], out)})"


@_reg(S.Second)
def _second(a, dts, out):
    return _cast(a[1], out)


@_reg(S.Identity)
def _identity(a, dts, out):
    return _cast(a[0], out)


@_reg(S.Cast)
def _castop(a, dts, out):
    if out == "bool":
        return f"(({a[0]}) != 0)"
    return _cast(a[0], out)


# -- comparisons and logic ---------------------------------------------------------------
def _cmp(sym: str):
    def fn(a, dts, out):
        common = np.result_type(*[np.dtype(d) for d in dts]).name
        if common in _NO_C:
            return None
        return f"({_cast(a[0], common)} {sym} {_cast(a[1], common)})"

    return fn


for _cls, _sym in (
    (S.LT, "<"),
    (S.GT, ">"),
    (S.LE, "<="),
    (S.GE, ">="),
    (S.EQ, "=="),
    (S.NEQ, "!="),
):
    _reg(_cls)(_cmp(_sym))


@_reg(S.IsNan)
def _isnan(a, dts, out):
    return f"isnan({a[0]})" if _is_float(dts[0]) else "0"


@_reg(S.IsInf)
def _isinf(a, dts, out):
    return f"isinf({a[0]})" if _is_float(dts[0]) else "0"


def _bitwise(sym: str, bool_sym: str):
    def fn(a, dts, out):
        if out == "bool":
            return f"(({a[0]}) {bool_sym} ({a[1]}))"
        return f"({_cast(a[0], out)} {sym} {_cast(a[1], out)})"

    return fn


_reg(S.AND)(_bitwise("&", "&&"))
_reg(S.OR)(_bitwise("|", "||"))
_reg(S.XOR)(_bitwise("^", "!="))


@_reg(S.Invert)
def _invert(a, dts, out):
    return f"(!({a[0]}))" if out == "bool" else f"(({c_type(out)})~{_cast(a[0], out)})"


# -- rounding --------------------------------------------------------------------------
def _round(name: str):
    def fn(a, dts, out):
        if not _is_float(out):
            return _cast(a[0], out)
        return f"{_fn(name, out)}({_cast(a[0], out)})"

    return fn


_reg(S.Floor)(_round("floor"))
_reg(S.Ceil)(_round("ceil"))
_reg(S.Trunc)(_round("trunc"))
_reg(S.RoundHalfToEven)(_round("nearbyint"))
_reg(S.RoundHalfAwayFromZero)(_round("round"))


# -- transcendental --------------------------------------------------------------------
def _unary_libm(name: str):
    def fn(a, dts, out):
        if not _is_float(out):
            return None
        return f"{_fn(name, out)}({_cast(a[0], out)})"

    return fn


_LIBM = {
    "Exp": "exp",
    "Exp2": "exp2",
    "Expm1": "expm1",
    "Log": "log",
    "Log2": "log2",
    "Log10": "log10",
    "Log1p": "log1p",
    "Sqrt": "sqrt",
    "Sin": "sin",
    "Cos": "cos",
    "Tan": "tan",
    "ArcSin": "asin",
    "ArcCos": "acos",
    "ArcTan": "atan",
    "Sinh": "sinh",
    "Cosh": "cosh",
    "Tanh": "tanh",
    "ArcSinh": "asinh",
    "ArcCosh": "acosh",
    "ArcTanh": "atanh",
    "Erf": "erf",
    "Erfc": "erfc",
    "Gamma": "tgamma",
    "GammaLn": "lgamma",
}
for _name, _c in _LIBM.items():
    _cls = getattr(S, _name, None)
    if _cls is not None:
        _reg(_cls)(_unary_libm(_c))


@_reg(S.ArcTan2)
def _atan2(a, dts, out):
    if not _is_float(out):
        return None
    return f"{_fn('atan2', out)}({_cast(a[0], out)}, {_cast(a[1], out)})"


if hasattr(S, "ScalarSigmoid"):

    @_reg(S.ScalarSigmoid)
    def _sigmoid(a, dts, out):
        if not _is_float(out):
            return None
        return f"symc_sigmoid_{out}({_cast(a[0], out)})"


if hasattr(S, "ScalarSoftplus"):

    @_reg(S.ScalarSoftplus)
    def _softplus(a, dts, out):
        if not _is_float(out):
            return None
        return f"symc_softplus_{out}({_cast(a[0], out)})"


def _int_helpers() -> str:
    parts = []
    for d in ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"):
        t = c_type(d)
        signed = not d.startswith("u")
        adj = "if ((r != 0) && ((r < 0) != (b < 0))) { q -= 1; }" if signed else ""
        madj = "if ((r != 0) && ((r < 0) != (b < 0))) { r += b; }" if signed else ""
        parts.append(
            f"static inline {t} symc_ifloordiv_{d}({t} a, {t} b) {{ if (b == 0) return 0; "
            f"{t} q = a / b; {t} r = a % b; {adj} return q; }}\n"
            f"static inline {t} symc_imod_{d}({t} a, {t} b) {{ if (b == 0) return 0; "
            f"{t} r = a % b; {madj} return r; }}"
        )
    return "\n".join(parts)


def _float_helpers() -> str:
    parts = []
    for d, t, f in (("float64", "double", ""), ("float32", "float", "f")):
        parts.append(f"""
static inline {t} symc_remainder_{d}({t} a, {t} b) {{
    {t} mod = fmod{f}(a, b);
    if (!b) return mod;
    if (mod) {{ if ((b < 0) != (mod < 0)) mod += b; }}
    else mod = copysign{f}(0, b);
    return mod;
}}
static inline {t} symc_floordiv_{d}({t} a, {t} b) {{
    if (!b) return a / b;
    {t} mod = fmod{f}(a, b);
    {t} div = (a - mod) / b;
    if (mod) {{ if ((b < 0) != (mod < 0)) {{ mod += b; div -= 1; }} }}
    {t} fl;
    if (div) {{ fl = floor{f}(div); if (div - fl > 0.5{f}) fl += 1; }}
    else fl = copysign{f}(0, a / b);
    return fl;
}}
static inline {t} symc_sigmoid_{d}({t} x) {{
    /* 1/(1+exp(-x)) for x >= 0, exp(x)/(1+exp(x)) below: one exp, no branch (vectorizes) */
    const {t} e = exp{f}(-fabs{f}(x));
    const {t} r = 1 / (1 + e);
    return x >= 0 ? r : e * r;
}}
static inline {t} symc_softplus_{d}({t} x) {{
    return (x > 0 ? x : 0) + log1p{f}(exp{f}(-fabs{f}(x)));
}}""")
    return "\n".join(parts)


def _glibc() -> tuple[int, int]:
    """glibc's version, (0, 0) when the C library is not glibc (no libmvec)."""
    try:
        name, version = os.confstr("CS_GNU_LIBC_VERSION").split()
        major, minor = version.split(".")[:2]
        return (int(major), int(minor)) if name == "glibc" else (0, 0)
    except (AttributeError, ValueError, OSError):
        return (0, 0)


#: libmvec's vector variants since glibc 2.22, and those added in 2.35.
_MVEC_1 = ("exp", "log", "sin", "cos")
_MVEC_2 = (
    "expm1",
    "log1p",
    "log2",
    "log10",
    "exp2",
    "tanh",
    "sinh",
    "cosh",
    "tan",
    "asin",
    "acos",
    "atan",
    "erf",
    "erfc",
    "asinh",
    "acosh",
    "atanh",
)


def _simd_decls() -> str:
    """Declarations letting GCC call glibc's vector math (libmvec) from vectorized loops
    (``-fopenmp-simd``); only the functions the running glibc provides."""
    glibc = _glibc()
    if glibc < (2, 22) or not sys.platform.startswith("linux"):
        return ""
    unary = _MVEC_1 + (_MVEC_2 if glibc >= (2, 35) else ())
    binary = ("pow",) + (("atan2",) if glibc >= (2, 35) else ())
    decls = [
        f"#pragma omp declare simd notinbranch\n{t} {n}{s}({', '.join([t] * k)});"
        for names, k in ((unary, 1), (binary, 2))
        for n in names
        for t, s in (("double", ""), ("float", "f"))
    ]
    return "\n".join(decls) + "\n"


SIMD_DECLS = _simd_decls()


def support_code() -> str:
    return SIMD_DECLS + _int_helpers() + _float_helpers()
