"""Plain NumPy kernels: the readable definition of every kernel and the test oracle.

Same names, arguments and meaning as ``pyclr._core`` and ``pyclr._numba``. Like the compiled
kernels, these compute with inf and NaN silently (the front end decides what they mean): every
kernel exported here runs with NumPy's floating-point warnings off.
"""
import functools as _functools

import numpy as _np

from . import finder as _finder
from . import schedule as _schedule


def _quiet(kernel):
    @_functools.wraps(kernel)
    def run(*args, **kwargs):
        with _np.errstate(all="ignore"):
            return kernel(*args, **kwargs)
    return run


for _module in (_finder, _schedule):
    for _name in _module.__all__:
        _value = getattr(_module, _name)
        globals()[_name] = _quiet(_value) if callable(_value) else _value
