"""
pyclr compiled kernels: schedule filling and range-test analysis. Kernels take validated, contiguous buffers only; pyclr's Python layer validates.
"""
from __future__ import annotations
import numpy
import numpy.typing
import typing
__all__: list[str] = ['ANALYZE_RESULT_SIZE', 'ANALYZE_WORK_ROWS', 'COS', 'LINEAR', 'LOWESS_WORK_ROWS', 'POW', 'RESULT_SLOTS', 'analyze_run', 'analyze_runs', 'argmin_nanfirst', 'bin_log', 'divergence_ceiling', 'ema', 'ema_debiased', 'fill_cycles', 'fill_segments', 'find_bounds', 'gradient_index', 'gradient_x', 'ignite_index', 'lowess', 'near_minimum', 'noise_sigma', 'parse_columns', 'scan_log', 'slide_index', 'steep_index', 'stop_index', 'valley_anchor', 'valley_index']
def analyze_run(x: numpy.typing.NDArray[numpy.float64], y: numpy.typing.NDArray[numpy.float64], width: typing.SupportsFloat | typing.SupportsIndex, iterations: typing.SupportsInt | typing.SupportsIndex, base_frac: typing.SupportsFloat | typing.SupportsIndex, plateau_frac: typing.SupportsFloat | typing.SupportsIndex, edge: typing.SupportsFloat | typing.SupportsIndex, fit: numpy.typing.NDArray[numpy.float64], slope: numpy.typing.NDArray[numpy.float64], work: numpy.typing.NDArray[numpy.float64], result: numpy.typing.NDArray[numpy.float64]) -> None:
    """
    lowess -> noise_sigma -> find_bounds on one range test.
    """
def analyze_runs(x: numpy.typing.NDArray[numpy.float64], y: numpy.typing.NDArray[numpy.float64], lengths: numpy.typing.NDArray[numpy.int64], width: typing.SupportsFloat | typing.SupportsIndex, iterations: typing.SupportsInt | typing.SupportsIndex, base_frac: typing.SupportsFloat | typing.SupportsIndex, plateau_frac: typing.SupportsFloat | typing.SupportsIndex, edge: typing.SupportsFloat | typing.SupportsIndex, fit: numpy.typing.NDArray[numpy.float64], slope: numpy.typing.NDArray[numpy.float64], work: numpy.typing.NDArray[numpy.float64], result: numpy.typing.NDArray[numpy.float64], n_threads: typing.SupportsInt | typing.SupportsIndex) -> None:
    """
    analyze_run on each row of ``[runs, points]`` arrays (first ``lengths[r]`` points), parallel over runs
    with std::thread and the GIL released (``n_threads <= 0``: one per hardware thread, at most
    ``work.shape[0]``); ``work`` is per thread: ``[threads, ANALYZE_WORK_ROWS * (points + 1)]``.
    """
def argmin_nanfirst(y: numpy.typing.NDArray[numpy.float64]) -> int:
    """
    Index of the minimum; the first NaN wins (NumPy semantics).
    """
def bin_log(lr: numpy.typing.NDArray[numpy.float64], loss: numpy.typing.NDArray[numpy.float64], edges: numpy.typing.NDArray[numpy.float64], out_x: numpy.typing.NDArray[numpy.float64], out_y: numpy.typing.NDArray[numpy.float64], out_count: numpy.typing.NDArray[numpy.int64]) -> int:
    """
    Reduce a sorted log to LR bins (mean log-LR, mean finite loss, count). Returns points outside the edges.
    """
def divergence_ceiling(x: numpy.typing.NDArray[numpy.float64], y: numpy.typing.NDArray[numpy.float64], width: typing.SupportsFloat | typing.SupportsIndex, work: numpy.typing.NDArray[numpy.float64]) -> float:
    """
    ``s + (s - min y)``, ``s`` the median of the finite losses within ``width / 2`` of the first lr: losses
    above it are divergence and are clipped before smoothing. ``work``: n values.
    """
def ema(x: numpy.typing.NDArray[numpy.float64], alpha: typing.SupportsFloat | typing.SupportsIndex, out: numpy.typing.NDArray[numpy.float64]) -> None:
    """
    Causal EMA, first value raw: ``s_0 = x_0``, ``s_k = alpha*x_k + (1-alpha)*s_{k-1}``
    (torch-lr-finder 0.2.2 / ignite 0.5.5 smoothing, no bias correction). Writes ``out``.
    """
def ema_debiased(x: numpy.typing.NDArray[numpy.float64], beta: typing.SupportsFloat | typing.SupportsIndex, step_offset: typing.SupportsInt | typing.SupportsIndex, out: numpy.typing.NDArray[numpy.float64]) -> None:
    """
    Bias-corrected EMA ``a_k = beta*a_{k-1} + (1-beta)*x_k``, ``s_k = a_k/(1-beta**(k+1+step_offset))``
    (fastai 2.8 with step_offset=0, Lightning with 1). Writes ``out``.
    """
@typing.overload
def fill_cycles(out: numpy.typing.NDArray[numpy.float64], start: typing.SupportsInt | typing.SupportsIndex, begin: typing.SupportsInt | typing.SupportsIndex, end: typing.SupportsInt | typing.SupportsIndex, origin: typing.SupportsFloat | typing.SupportsIndex, period: typing.SupportsFloat | typing.SupportsIndex, j0: typing.SupportsInt | typing.SupportsIndex, cyc: numpy.typing.NDArray[numpy.float64], tpl_int: numpy.typing.NDArray[numpy.int64], tpl_flt: numpy.typing.NDArray[numpy.float64]) -> None:
    """
    Fill a repeating template of pieces: cycle j starts at origin + j*period with bounds
    cyc[j - j0] = (a_j, b_j); tpl_flt rows: (lo, e, u, w, p, q, k) (GIL released).
    """
@typing.overload
def fill_cycles(out: numpy.typing.NDArray[numpy.float32], start: typing.SupportsInt | typing.SupportsIndex, begin: typing.SupportsInt | typing.SupportsIndex, end: typing.SupportsInt | typing.SupportsIndex, origin: typing.SupportsFloat | typing.SupportsIndex, period: typing.SupportsFloat | typing.SupportsIndex, j0: typing.SupportsInt | typing.SupportsIndex, cyc: numpy.typing.NDArray[numpy.float64], tpl_int: numpy.typing.NDArray[numpy.int64], tpl_flt: numpy.typing.NDArray[numpy.float64]) -> None:
    """
    Fill a repeating template of pieces: cycle j starts at origin + j*period with bounds
    cyc[j - j0] = (a_j, b_j); tpl_flt rows: (lo, e, u, w, p, q, k) (GIL released).
    """
@typing.overload
def fill_segments(out: numpy.typing.NDArray[numpy.float64], start: typing.SupportsInt | typing.SupportsIndex, seg_int: numpy.typing.NDArray[numpy.int64], seg_flt: numpy.typing.NDArray[numpy.float64]) -> None:
    """
    Fill out[t - start] for the steps of each segment inside the window (GIL released).
    
    seg_int rows: (begin, end, shape); seg_flt rows: (origin, a, b, e, u, w, p, q, k);
    value = a + b*exp(e*x)*(u + w*F(p + q*x)), x = t - origin.
    """
@typing.overload
def fill_segments(out: numpy.typing.NDArray[numpy.float32], start: typing.SupportsInt | typing.SupportsIndex, seg_int: numpy.typing.NDArray[numpy.int64], seg_flt: numpy.typing.NDArray[numpy.float64]) -> None:
    """
    Fill out[t - start] for the steps of each segment inside the window (GIL released).
    
    seg_int rows: (begin, end, shape); seg_flt rows: (origin, a, b, e, u, w, p, q, k);
    value = a + b*exp(e*x)*(u + w*F(p + q*x)), x = t - origin.
    """
def find_bounds(x: numpy.typing.NDArray[numpy.float64], s: numpy.typing.NDArray[numpy.float64], slope: numpy.typing.NDArray[numpy.float64], sigma: typing.SupportsFloat | typing.SupportsIndex, base_frac: typing.SupportsFloat | typing.SupportsIndex, plateau_frac: typing.SupportsFloat | typing.SupportsIndex, edge: typing.SupportsFloat | typing.SupportsIndex, anchor: typing.SupportsFloat | typing.SupportsIndex, result: numpy.typing.NDArray[numpy.float64]) -> None:
    """
    Bound search on a smoothed curve; writes the ANALYZE_RESULT_SIZE result slots.
    """
def gradient_index(y: numpy.typing.NDArray[numpy.float64], out: numpy.typing.NDArray[numpy.float64]) -> None:
    """
    ``np.gradient(y)`` per index (n >= 2). Writes ``out``.
    """
def gradient_x(x: numpy.typing.NDArray[numpy.float64], y: numpy.typing.NDArray[numpy.float64], out: numpy.typing.NDArray[numpy.float64]) -> None:
    """
    ``np.gradient(y, x)`` on a non-uniform grid (n >= 2). Writes ``out``.
    """
def ignite_index(s: numpy.typing.NDArray[numpy.float64]) -> int:
    """
    ignite 0.5.5 ``lr_suggestion`` index (-1 when the minimum is in the first two points).
    """
def lowess(x: numpy.typing.NDArray[numpy.float64], y: numpy.typing.NDArray[numpy.float64], width: typing.SupportsFloat | typing.SupportsIndex, iterations: typing.SupportsInt | typing.SupportsIndex, out: numpy.typing.NDArray[numpy.float64], slope: numpy.typing.NDArray[numpy.float64], work: numpy.typing.NDArray[numpy.float64]) -> None:
    """
    Zero-phase robust local-linear smoother, window ``|x_j - x_i| <= width/2`` (decades of LR when
    x = log10(lr)), bisquare robustness iterations (Cleveland 1979). Writes ``out`` and ``slope``.
    """
def near_minimum(f: numpy.typing.NDArray[numpy.float64], i: typing.SupportsInt | typing.SupportsIndex, tau: typing.SupportsFloat | typing.SupportsIndex) -> tuple[int, int]:
    """
    ``(a, b)``: the stretch around the minimum ``f[i]`` that stays within ``tau`` of it.
    """
def noise_sigma(y: numpy.typing.NDArray[numpy.float64], fit: numpy.typing.NDArray[numpy.float64], ceiling: typing.SupportsFloat | typing.SupportsIndex, work: numpy.typing.NDArray[numpy.float64]) -> float:
    """
    ``1.4826 * median(|y - fit|)`` over finite residuals of the points with ``y <= ceiling``.
    """
def parse_columns(buf: numpy.typing.NDArray[numpy.uint8], delim: typing.SupportsInt | typing.SupportsIndex, ncols: typing.SupportsInt | typing.SupportsIndex, col_a: typing.SupportsInt | typing.SupportsIndex, col_b: typing.SupportsInt | typing.SupportsIndex, out_a: numpy.typing.NDArray[numpy.float64], out_b: numpy.typing.NDArray[numpy.float64], status: numpy.typing.NDArray[numpy.int64], n_threads: typing.SupportsInt | typing.SupportsIndex = 0) -> int:
    """
    Parse fields ``col_a`` / ``col_b`` of a delimited text body (std::from_chars, correctly rounded) into
    ``out_a`` / ``out_b``; status = [rows, 1-based line of the first malformed line or 0, kind (1 field
    count, 2 number)]. The buffer is split at line starts and parsed on ``n_threads`` threads
    (<= 0: one per hardware thread, at most one per 256 KiB).
    """
def scan_log(lr: numpy.typing.NDArray[numpy.float64], loss: numpy.typing.NDArray[numpy.float64], stats: numpy.typing.NDArray[numpy.int64]) -> None:
    """
    One pass over a raw log: stats = [first bad lr, first non-increase, #non-finite losses,
    last finite loss, first non-finite loss, first decrease] (-1 where none).
    """
def slide_index(grad: numpy.typing.NDArray[numpy.float64], thresh: typing.SupportsFloat | typing.SupportsIndex, lr_diff: typing.SupportsInt | typing.SupportsIndex) -> int:
    """
    fastai 2.8 ``slide`` index.
    """
def steep_index(lrs: numpy.typing.NDArray[numpy.float64], y: numpy.typing.NDArray[numpy.float64]) -> int:
    """
    fastai 2.8 ``steep`` index.
    """
def stop_index(s: numpy.typing.NDArray[numpy.float64], threshold: typing.SupportsFloat | typing.SupportsIndex, best_from_previous: bool) -> int:
    """
    Points kept by a divergence stop ``s_k > threshold * best``.
    """
def valley_anchor(x: numpy.typing.NDArray[numpy.float64], y: numpy.typing.NDArray[numpy.float64], level: typing.SupportsFloat | typing.SupportsIndex, width: typing.SupportsFloat | typing.SupportsIndex, sigma: typing.SupportsFloat | typing.SupportsIndex, work: numpy.typing.NDArray[numpy.float64]) -> float:
    """
    Mean over window widths 1, 1.5 and 2 x ``width`` of the middle of the near-minimum stretch of a
    non-robust local-linear fit of ``min(y, level)`` (NaN if no window has weight). ``work``: 6 * (n + 1) values.
    """
def valley_index(y: numpy.typing.NDArray[numpy.float64], work: numpy.typing.NDArray[numpy.float64]) -> int:
    """
    fastai 2.8 ``valley`` index in O(n log n) (longest strictly decreasing subsequence).
    """
ANALYZE_RESULT_SIZE: int = 16
ANALYZE_WORK_ROWS: int = 9
COS: int = 1
LINEAR: int = 0
LOWESS_WORK_ROWS: int = 8
POW: int = 2
RESULT_SLOTS: dict = {'base': 0, 'max': 1, 'min': 2, 'diverge': 3, 'sigma': 4, 'drop': 5, 'plateau': 6, 'unstable': 7, 'start': 8, 'steepest': 9, 'minslope': 10, 'flags': 11, 'xbase': 12, 'xmax': 13, 'anchor': 14, 'onset': 15}
