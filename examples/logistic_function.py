"""Theano tutorial, "More examples": the logistic function, two ways, and a function with
several outputs.

Run: python examples/logistic_function.py
"""

import symcore.tensor as T
from symcore import function

x = T.dmatrix("x")
s = 1 / (1 + T.exp(-x))  # elementwise on the matrix
logistic = function([x], s)
print("logistic([[0, 1], [-1, -2]]) =", logistic([[0, 1], [-1, -2]]).tolist())

# The same function written with tanh: s(x) = (1 + tanh(x / 2)) / 2
s2 = (1 + T.tanh(x / 2)) / 2
logistic2 = function([x], s2)
print("logistic2([[0, 1], [-1, -2]]) =", logistic2([[0, 1], [-1, -2]]).tolist())

# Computing more than one thing at the same time
a, b = T.dmatrices("a", "b")
diff = a - b
abs_diff = abs(diff)
diff_squared = diff**2
f = function([a, b], [diff, abs_diff, diff_squared])
print(
    "f([[1, 1], [1, 1]], [[0, 1], [2, 3]]) =",
    [r.tolist() for r in f([[1, 1], [1, 1]], [[0, 1], [2, 3]])],
)
