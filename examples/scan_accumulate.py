"""Theano tutorial, "Looping with scan": the "accumulation into a scalar" pitfall.

The state fed back by scan must keep one dtype. Starting from an ``int8`` zero while the
step adds ``int64`` values would need an implicit downcast at every step; scan refuses
with an error naming both dtypes and suggesting a cast. The fix: give the initial value the
dtype of the sequence.

Run: python examples/scan_accumulate.py
"""

import numpy as np
import symcore
import symcore.tensor as T

up_to = T.iscalar("up_to")


# define a named function, rather than using lambda
def accumulate_by_adding(arange_val, sum_to_date):
    return sum_to_date + arange_val


seq = T.arange(up_to)

# An unauthorized implicit downcast from the dtype of 'seq' to that of the initial
# state ('int8' here) would occur if this initial state were used:
try:
    symcore.scan(
        fn=accumulate_by_adding, outputs_info=T.as_tensor_variable(np.int8(0)), sequences=seq
    )
except TypeError as exc:
    print("pitfall error =", repr(str(exc)))

outputs_info = T.as_tensor_variable(np.asarray(0, seq.dtype))
scan_result, scan_updates = symcore.scan(
    fn=accumulate_by_adding, outputs_info=outputs_info, sequences=seq
)
triangular_sequence = symcore.function(inputs=[up_to], outputs=scan_result)

# test
some_num = 15
print("triangular_sequence(some_num) =", triangular_sequence(some_num).tolist())
print("[n * (n + 1) // 2 for n in range(some_num)] =", [n * (n + 1) // 2 for n in range(some_num)])
