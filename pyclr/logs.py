"""Reading range-test logs: CSV/TSV, JSON (lines), ``.npy``/``.npz``, and finder objects.

Files are never unpickled. CSV bodies are parsed by a compiled kernel (no Python loop per
row); a malformed row is reported with the file name and its line number.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any, Optional, Union

import numpy as np

from . import _backend

__all__ = ["RangeTestLog", "load_log", "LR_COLUMNS", "LOSS_COLUMNS"]

#: Column names tried for the learning rate, in order (case-insensitive).
LR_COLUMNS = ("lr", "learning_rate", "learning-rate", "learningrate", "lrs", "lr_used", "eta", "step_lr")
#: Column names tried for the loss, in order: raw losses before smoothed ones.
LOSS_COLUMNS = ("loss", "raw_loss", "train_loss", "training_loss", "loss_raw", "batch_loss", "train/loss",
                "losses", "raw_train_loss", "loss_step", "train_loss_step", "value", "smoothed_loss",
                "smooth_loss", "tlf_smoothed_loss")


@dataclass(frozen=True)
class RangeTestLog:
    """A loaded range test.

    Attributes
    ----------
    lrs, losses : ndarray of float64
    source : str
        File name, or the kind of object it came from.
    lr_column, loss_column : str
        What was read.
    smoothed : bool
        True when the losses are a finder's smoothed losses (torch-lr-finder ``history``,
        Lightning ``results``, fastai ``recorder.losses``, or a column named ``*smooth*``):
        pass ``smoothed=True`` to :func:`pyclr.suggest`.
    """

    lrs: np.ndarray
    losses: np.ndarray
    source: str
    lr_column: str
    loss_column: str
    smoothed: bool = False

    def __len__(self) -> int:
        return int(self.lrs.shape[0])

    def analyze(self, **kwargs):
        """``pyclr.analyze(self.lrs, self.losses, **kwargs)``."""
        from .finder import analyze

        return analyze(self.lrs, self.losses, **kwargs)


def _norm(name: str) -> str:
    return name.strip().strip('"').strip("'").strip().lower()


def _pick(names: list, wanted: Any, candidates: tuple, what: str, source: str) -> int:
    normed = [_norm(n) for n in names]
    if wanted is not None:
        if isinstance(wanted, (int, np.integer)) and not isinstance(wanted, bool):
            if not 0 <= int(wanted) < len(names):
                raise ValueError(f"Expected {what} column index in [0, {len(names)}), but got {wanted!r} ({source})")
            return int(wanted)
        if not isinstance(wanted, str):
            raise TypeError(f"Expected a column name or index for {what}, but got {wanted!r}")
        if _norm(wanted) in normed:
            return normed.index(_norm(wanted))
        raise ValueError(f"Expected a column named {wanted!r} for {what} in {source}, but the columns are {names}")
    for c in candidates:
        if c in normed:
            return normed.index(c)
    if what == "lr":
        for i, n in enumerate(normed):  # Lightning's LearningRateMonitor writes "lr-Adam", "lr-SGD/pg1", ...
            if n.startswith("lr-") or n.startswith("lr/") or n.endswith("/lr"):
                return i
    raise ValueError(
        f"Expected a {what} column in {source} (one of {', '.join(candidates)}; or pass {what}=...), "
        f"but the columns are {names}")


def _from_mapping(d: dict, lr, loss, source: str, smoothed: bool) -> RangeTestLog:
    keys = [str(k) for k in d.keys()]
    i = _pick(keys, lr, LR_COLUMNS, "lr", source)
    j = _pick(keys, loss, LOSS_COLUMNS, "loss", source)
    ki, kj = list(d.keys())[i], list(d.keys())[j]
    return _make(d[ki], d[kj], source, str(ki), str(kj), smoothed or "smooth" in str(kj).lower())


def _to_float_array(v: Any, what: str, source: str) -> np.ndarray:
    if hasattr(v, "detach"):  # torch tensors, without importing torch
        v = v.detach().cpu().numpy()
    try:
        try:
            arr = np.asarray(v, dtype=np.float64)
        except (TypeError, ValueError):
            arr = np.asarray([float(e) for e in v], dtype=np.float64)  # lists of 0-d tensors
    except OverflowError as exc:  # a Python int beyond float64, e.g. 10**400 in a JSON file
        raise ValueError(f"Expected {what} values within the float64 range in {source}, but: {exc}") from exc
    except Exception as exc:
        raise TypeError(f"Expected numbers for {what} in {source}, but got {type(v).__name__}") from exc
    if arr.ndim != 1:
        raise ValueError(f"Expected a 1-D {what} sequence in {source}, but got shape {arr.shape}")
    return np.ascontiguousarray(arr)


def _make(a, b, source, ca, cb, smoothed) -> RangeTestLog:
    lrs = _to_float_array(a, "lr", source)
    losses = _to_float_array(b, "loss", source)
    if lrs.shape[0] != losses.shape[0]:
        raise ValueError(f"Expected lr and loss of equal length in {source}, but got {lrs.shape[0]} and {losses.shape[0]}")
    if lrs.shape[0] == 0:
        raise ValueError(f"Expected at least one row in {source}, but got none")
    return RangeTestLog(lrs, losses, source, ca, cb, bool(smoothed))


def load_log(path: Union[str, os.PathLike, Any], lr: Any = None, loss: Any = None) -> RangeTestLog:
    """Load a range-test log.

    Parameters
    ----------
    path : str, path-like, dict or finder object
        * ``.csv``/``.tsv``/``.txt`` (delimiter sniffed from the header: tab, comma,
          semicolon): a header row, columns guessed from :data:`LR_COLUMNS` and
          :data:`LOSS_COLUMNS` (``lr,loss`` as written by ``pyclr.torch.range_test``);
          a header-less two-column file is read as ``lr, loss``.
        * ``.json``: a dict of lists (``{"lr": [...], "loss": [...]}``) or a list of records;
          ``.jsonl``/``.ndjson``: one record per line.
        * ``.npy`` (a ``[n, 2]`` array, or a structured array with named fields) and ``.npz``
          (named arrays); always loaded with ``allow_pickle=False``.
        * In Python: torch-lr-finder's ``history`` dict or ``LRFinder``, Lightning's
          ``results`` dict or ``_LRFinder``, fastai's ``Recorder`` / ``Learner`` (``.lrs``,
          ``.losses``). Their losses are smoothed; the log says so.
    lr, loss : str or int, optional
        Column (key) name or index, to override the guess.

    Returns
    -------
    RangeTestLog

    Examples
    --------
    >>> import pyclr
    >>> log = pyclr.load_log({"lr": [1e-4, 1e-3, 1e-2], "loss": [2.3, 2.1, 2.6]})
    >>> log.lrs.tolist(), log.smoothed
    ([0.0001, 0.001, 0.01], True)
    """
    if isinstance(path, dict):
        return _from_mapping(path, lr, loss, "dict", smoothed=True)
    if not isinstance(path, (str, bytes, os.PathLike)):
        for attr in ("history", "results"):  # torch-lr-finder LRFinder, Lightning _LRFinder
            d = getattr(path, attr, None)
            if isinstance(d, dict):
                return _from_mapping(d, lr, loss, type(path).__name__ + "." + attr, smoothed=True)
        rec = getattr(path, "recorder", path)  # fastai Learner or Recorder
        if hasattr(rec, "lrs") and hasattr(rec, "losses"):
            return _make(rec.lrs, rec.losses, type(rec).__name__, "lrs", "losses", True)
        raise TypeError(
            f"Expected a file path, a dict of lists, or a finder object with .history / .results / "
            f".lrs and .losses, but got {type(path).__name__}")
    path = os.fspath(path)
    if isinstance(path, bytes):
        path = path.decode()
    if not os.path.isfile(path):
        raise FileNotFoundError(f"No such log file: {path!r}")
    ext = os.path.splitext(path)[1].lower()
    if ext == ".npy":
        return _load_npy(path, lr, loss)
    if ext == ".npz":
        return _from_mapping(_read_numpy(path, ext), lr, loss, path, smoothed=False)
    if ext in (".json", ".jsonl", ".ndjson"):
        return _load_json(path, lr, loss)
    return _load_delimited(path, lr, loss)


def _read_numpy(path, ext):
    """The array of a .npy file, or a dict of a .npz archive's arrays; never unpickles. A file
    NumPy cannot read (empty, truncated, corrupted, pickled) raises ValueError naming the file:
    NumPy itself raises EOFError, zipfile.BadZipFile, zlib.error, tokenize.TokenError or a bare
    OSError for some of them. A missing or unreadable file keeps its OSError."""
    what = "a plain numeric .npy array" if ext == ".npy" else "a plain .npz archive"
    try:
        if ext == ".npy":
            return np.load(path, allow_pickle=False)
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except (FileNotFoundError, PermissionError, IsADirectoryError):
        raise
    except Exception as exc:
        detail = str(exc) or type(exc).__name__
        raise ValueError(f"Expected {what} (no pickled objects) in {path}, but: {detail}") from exc


def _load_npy(path, lr, loss) -> RangeTestLog:
    arr = _read_numpy(path, ".npy")
    if arr.dtype.names:
        return _from_mapping({n: arr[n] for n in arr.dtype.names}, lr, loss, path, smoothed=False)
    if arr.ndim != 2 or arr.shape[1] < 2:
        raise ValueError(f"Expected a [n, 2] array (lr, loss) in {path}, but got shape {arr.shape}")
    i = 0 if lr is None else lr
    j = 1 if loss is None else loss
    cols = [str(k) for k in range(arr.shape[1])]
    i = _pick(cols, i, (), "lr", path)
    j = _pick(cols, j, (), "loss", path)
    return _make(arr[:, i], arr[:, j], path, f"column {i}", f"column {j}", False)


def _load_json(path, lr, loss) -> RangeTestLog:
    with open(path, "rb") as f:
        text = f.read().decode("utf-8")
    stripped = text.strip()
    try:
        if stripped.startswith("{") and "\n{" not in stripped:
            data = json.loads(stripped)
        elif stripped.startswith("["):
            data = json.loads(stripped)
        else:
            # JSON lines: one C-level parse of the whole file as an array
            lines = [ln for ln in stripped.splitlines() if ln.strip()]
            data = json.loads("[" + ",".join(lines) + "]")
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON / JSON lines ({exc.msg} at line {exc.lineno})") from exc
    except RecursionError as exc:
        raise ValueError(f"{path}: JSON nested too deeply to be a range-test log") from exc
    if isinstance(data, dict):
        if "history" in data and isinstance(data["history"], dict):
            data = data["history"]
        return _from_mapping(data, lr, loss, path, smoothed=False)
    if isinstance(data, list) and data and all(isinstance(r, dict) for r in data):
        keys = list(data[0].keys())
        i = _pick(keys, lr, LR_COLUMNS, "lr", path)
        j = _pick(keys, loss, LOSS_COLUMNS, "loss", path)
        ki, kj = keys[i], keys[j]
        for n, r in enumerate(data):
            if ki not in r or kj not in r:
                raise ValueError(f"{path}:{n + 1}: record lacks {ki!r} or {kj!r}: {r}")
        a = [r[ki] for r in data]
        b = [r[kj] if r[kj] is not None else float("nan") for r in data]
        return _make(a, b, path, ki, kj, "smooth" in kj.lower())
    raise ValueError(f"Expected a JSON object of lists or a list of records in {path}, but got {type(data).__name__}")


#: Bytes read (and parsed, on all cores) at a time. One buffer of this size is reused for the
#: whole file: memory the process has touched before is much cheaper than fresh pages, which on a
#: virtual machine can cost as much as the parse (a 400 MB file read whole took 0.06-1.0 s to land).
_CHUNK_BYTES = 1 << 25


def _last_newline(buf: np.ndarray, end: int) -> int:
    """Index of the last newline in ``buf[:end]``, or -1."""
    stop, step = end, 4096
    while stop > 0:
        start = max(0, stop - step)
        hit = np.flatnonzero(buf[start:stop] == 10)
        if hit.shape[0]:
            return start + int(hit[-1])
        stop, step = start, min(4 * step, 1 << 22)
    return -1


def _line_chunks(f, size: int):
    """Yield ``(file offset, bytes)`` pieces of the open binary file ``f`` that hold whole lines
    (each ends with a newline, except at the end of the file), read into one reused uint8 buffer:
    a piece is valid until the next one is asked for. A line longer than the buffer grows it.

    Not a memory map: a log rewritten while it is read (Lightning's CSVLogger rewrites
    metrics.csv) would kill the process with SIGBUS; here it only ends the read early."""
    cap = max(1, min(size + 1, _CHUNK_BYTES))  # + 1: a small file hits end-of-file in one read
    buf = np.empty(cap, dtype=np.uint8)
    held = offset = 0  # bytes of a partial line carried over; file offset of buf[0]
    while True:
        end = held + _fill(f, memoryview(buf)[held:], offset + held)
        if end < cap:  # end of file
            if end:
                yield offset, buf[:end]
            return
        last = _last_newline(buf, end)
        if last < 0:  # a single line longer than the buffer
            cap *= 2
            grown = np.empty(cap, dtype=np.uint8)
            grown[:end] = buf[:end]
            buf, held = grown, end
            continue
        yield offset, buf[: last + 1]
        held = end - last - 1
        buf[:held] = buf[last + 1 : end]
        offset += last + 1


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _fill(f, view: memoryview, pos: int) -> int:
    """Read the open binary file ``f`` from ``pos`` into ``view`` until it is full or the file
    ends; returns the bytes read. A large view is read in parts on all cores (``os.preadv``
    releases the GIL; where there is none, one ``readinto`` loop)."""
    size = len(view)
    threaded = hasattr(os, "preadv")
    parts = max(1, min(_cpus(), size >> 23)) if threaded else 1  # >= 8 MiB a part
    bounds = [size * k // parts for k in range(parts + 1)]
    done = bounds[:-1]
    if not threaded:
        f.seek(pos)

    def read(k: int) -> None:
        while done[k] < bounds[k + 1]:
            part = view[done[k]:bounds[k + 1]]
            n = os.preadv(f.fileno(), [part], pos + done[k]) if threaded else f.readinto(part)
            if not n:
                break
            done[k] += n

    if parts > 1:
        import threading

        pool = [threading.Thread(target=read, args=(k,)) for k in range(1, parts)]
        for t in pool:
            t.start()
        read(0)
        for t in pool:
            t.join()
    else:
        read(0)
    for k in range(parts):  # the file ended (or shrank while it was read): keep what precedes the gap
        if done[k] < bounds[k + 1]:
            return done[k]
    return size


def _find_newline(buf: np.ndarray, pos: int) -> int:
    step = 4096
    while pos < buf.shape[0]:
        hit = np.flatnonzero(buf[pos:pos + step] == 10)
        if hit.shape[0]:
            return pos + int(hit[0])
        pos, step = pos + step, min(4 * step, 1 << 22)
    return -1


def _count_newlines(buf: np.ndarray) -> int:
    # In blocks that stay in cache: one pass at memory speed, no buffer-sized temporary.
    step = 1 << 20
    return sum(int(np.count_nonzero(buf[k:k + step] == 10)) for k in range(0, buf.shape[0], step))


def _lines_before(path, offset: int) -> int:
    """How many lines of the file end before byte ``offset`` (for an error message only)."""
    count = 0
    with open(path, "rb") as f:
        while offset > 0:
            block = f.read(min(offset, 1 << 24))
            if not block:
                break
            count += block.count(b"\n")
            offset -= len(block)
    return count


def _row_capacity(sample: np.ndarray, total: int) -> int:
    """Rows to allocate for a body of ``total`` bytes whose first bytes are ``sample``: its line
    count if it is all there, else an estimate from the sample's mean line length (+25%), so
    that no pass is spent counting lines. Pages never written cost no memory; a body with more
    rows grows the arrays."""
    if sample.shape[0] >= total:
        return _count_newlines(sample) + 1
    head = sample[: 1 << 20]
    per_line = head.shape[0] / max(1, int(np.count_nonzero(head == 10))) if head.shape[0] else 16.0
    return int(total / max(per_line, 2.0) * 1.25) + 1024  # a row takes at least 2 bytes


def _line_text(buf: np.ndarray, line: int) -> str:
    """Line number ``line`` (1-based) of ``buf``, for an error message."""
    step, seen, start = 1 << 20, 0, 0
    if line > 1:
        for k in range(0, buf.shape[0], step):
            nl = np.flatnonzero(buf[k:k + step] == 10)
            if seen + nl.shape[0] >= line - 1:
                start = k + int(nl[line - 2 - seen]) + 1
                break
            seen += nl.shape[0]
    stop = _find_newline(buf, start)
    return buf[start:stop if stop >= 0 else buf.shape[0]].tobytes().decode("utf-8", "replace").rstrip("\r")


def _header(chunks, path):
    """Skip a BOM, blank lines and ``#`` comments. Returns the first other line (bytes), the
    file offset where it starts, the file offset after it and the chunk it ends in."""
    for offset, buf in chunks:
        pos = 3 if offset == 0 and buf[:3].tobytes() == b"\xef\xbb\xbf" else 0
        while pos < buf.shape[0]:
            nl = _find_newline(buf, pos)
            stop = buf.shape[0] if nl < 0 else nl
            line = buf[pos:stop].tobytes()
            if line.strip() and not line.lstrip().startswith(b"#"):
                return line, offset + pos, offset + stop + 1, (offset, buf)
            pos = stop + 1
    raise ValueError(f"Expected a header row and data in {path}, but the file is empty")


def _load_delimited(path, lr, loss) -> RangeTestLog:
    with open(path, "rb", buffering=0) as f:
        size = os.fstat(f.fileno()).st_size
        chunks = _line_chunks(f, size)
        line, line_start, body_start, first = _header(chunks, path)
        header = line.decode("utf-8", "replace").rstrip("\r")
        delim = "\t" if "\t" in header else (";" if header.count(";") > header.count(",") else ",")
        names = [n.strip() for n in header.split(delim)]
        numeric = True
        for n in names:
            try:
                float(n.strip('"'))
            except ValueError:
                numeric = False
                break
        if numeric:  # no header: the line is the first row
            if lr is None and loss is None and len(names) == 2:
                i, j = 0, 1
            else:
                i = _pick([str(k) for k in range(len(names))], 0 if lr is None else lr, (), "lr", path)
                j = _pick([str(k) for k in range(len(names))], 1 if loss is None else loss, (), "loss", path)
            body_start = line_start
            ci, cj = f"column {i}", f"column {j}"
        else:
            i = _pick(names, lr, LR_COLUMNS, "lr", path)
            j = _pick(names, loss, LOSS_COLUMNS, "loss", path)
            ci, cj = names[i].strip('"'), names[j].strip('"')
        offset, buf = first
        body = buf[min(body_start - offset, buf.shape[0]):]
        cap = _row_capacity(body, size - body_start)
        a, b = np.empty(cap), np.empty(cap)
        rows = 0
        kernel = _backend.kernels().parse_columns
        while True:
            # The cpp kernel splits the piece at line starts and parses the parts on all cores, GIL released.
            status = np.zeros(3, dtype=np.int64)
            got = int(kernel(body, ord(delim), len(names), i, j, a[rows:], b[rows:], status))
            if int(status[1]):
                text = _line_text(body, int(status[1]))
                why = (f"expected {len(names)} fields" if int(status[2]) == 1
                       else f"could not read a number in column {ci!r} or {cj!r}")
                line_no = _lines_before(path, body_start) + int(status[1])
                raise ValueError(f"{path}:{line_no}: malformed row ({why}): {text[:200]!r}")
            if rows + got > cap:  # more rows than estimated: grow, parse this piece again
                cap = max(2 * cap, rows + got)
                a, b = (np.concatenate([v[:rows], np.empty(cap - rows)]) for v in (a, b))
                continue
            rows += got
            nxt = next(chunks, None)
            if nxt is None:
                break
            body_start, body = nxt
    if rows == 0:
        raise ValueError(f"Expected data rows after the header in {path}, but got none")
    if rows < cap // 2:  # do not keep a mostly blank file's allocation alive
        a, b = a[:rows].copy(), b[:rows].copy()
    return RangeTestLog(a[:rows], b[:rows], path, ci, cj, "smooth" in cj.lower())
