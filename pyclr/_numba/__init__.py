"""numba kernels with the same names and signatures as ``pyclr._core``; imported only when used."""
from .finder import *  # noqa: F401,F403
from .schedule import *  # noqa: F401,F403
from . import _threading

# parallel kernels fall back to their serial form where numba's threading layer is unsafe
# (after a fork from GNU OpenMP, or from several threads at once on workqueue): see _threading
_threading.guard_all(globals())
