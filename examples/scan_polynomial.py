"""Theano tutorial, "Looping with scan": evaluating a polynomial from its coefficients.

scan iterates over two sequences at once and stops at the shortest: the coefficients (3
here) and ``arange(max_coefficients_supported)``.

Run: python examples/scan_polynomial.py
"""

import numpy
import symcore
import symcore.tensor as T

coefficients = T.vector("coefficients")
x = T.scalar("x")

max_coefficients_supported = 10000

# Generate the components of the polynomial
components, updates = symcore.scan(
    fn=lambda coefficient, power, free_variable: coefficient * (free_variable**power),
    outputs_info=None,
    sequences=[coefficients, T.arange(max_coefficients_supported)],
    non_sequences=x,
)
# Sum them up
polynomial = components.sum()

# Compile a function
calculate_polynomial = symcore.function(inputs=[coefficients, x], outputs=polynomial)

# Test
test_coefficients = numpy.asarray([1, 0, 2], dtype=numpy.float32)
test_value = 3
print(
    "calculate_polynomial(test_coefficients, test_value) =",
    float(calculate_polynomial(test_coefficients, test_value)),
)
print(
    "1.0 * (3 ** 0) + 0.0 * (3 ** 1) + 2.0 * (3 ** 2) =", 1.0 * (3**0) + 0.0 * (3**1) + 2.0 * (3**2)
)
