"""Theano tutorial, "Looping with scan": A**k computed elementwise by k multiplications.

Only the last step is returned; scan notices that and keeps one step in memory instead of
k (the compiled Scan node has ``store_steps == (1,)``).

Run: python examples/scan_power.py
"""

import numpy as np
import symcore
import symcore.tensor as T

k = T.iscalar("k")
A = T.vector("A")

# Symbolic description of the result
result, updates = symcore.scan(
    fn=lambda prior_result, A: prior_result * A,
    outputs_info=T.ones_like(A),
    non_sequences=A,
    n_steps=k,
)

# We only care about A**k, but scan has provided us with A**1 through A**k.
# Discard the values that we don't care about. Scan is smart enough to
# notice this and not waste memory saving them.
final_result = result[-1]

# compiled function that returns A**k
power = symcore.function(inputs=[A, k], outputs=final_result, updates=updates)

print("power(range(10), 2) =", power(range(10), 2).tolist())
print("power(range(10), 4) =", power(range(10), 4).tolist())
Scan = symcore.scan_module.Scan
scan_node = next(n for n in power.maker.fgraph.toposort() if isinstance(n.op, Scan))
print("steps kept in memory =", list(scan_node.op.store_steps))
print("numpy: np.arange(10) ** 4 =", (np.arange(10) ** 4).tolist())
