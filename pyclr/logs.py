"""Reading range-test logs: CSV/TSV, JSON (lines), ``.npy``/``.npz``, and finder objects.

Files are never unpickled. CSV bodies are parsed by a compiled kernel (no Python loop per
row); a malformed row is reported with the file name and its line number. gzip-, bzip2- and
xz-compressed files are recognised by their first bytes (whatever their name) and read as the
format their name says once the compression suffix is removed.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional, Union

import numpy as np

from . import _backend
from .finder._input import check_pair

if TYPE_CHECKING:
    from .finder import Analysis

__all__ = ["RangeTestLog", "load_log", "table_log", "sweep_paths", "LR_COLUMNS", "LOSS_COLUMNS"]

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

    def analyze(self, **kwargs: Any) -> Analysis:
        """``pyclr.analyze(self.lrs, self.losses, **kwargs)``."""
        from .finder import analyze

        return analyze(self.lrs, self.losses, **kwargs)


def _norm(name: str) -> str:
    return name.strip().strip('"').strip("'").strip().lower()


def _pick(names: list, wanted: Any, candidates: tuple, what: str, source: str, hint: Optional[str] = None) -> int:
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
        f"Expected a {what} column in {source} (one of {', '.join(candidates)}; "
        f"{hint or f'or pass {what}=...'}), but the columns are {names}")


def _unnamed_columns(n: int, lr, loss, path: str) -> tuple:
    """Indices of the lr and loss columns of a table without column names: (0, 1) unless given.
    The caller refuses tables of more than two columns without both (step, lr, loss is as
    common as lr, loss, step: there is nothing to guess from)."""
    names = [str(k) for k in range(n)]
    return (_pick(names, 0 if lr is None else lr, (), "lr", path),
            _pick(names, 1 if loss is None else loss, (), "loss", path))


def _from_mapping(d: Any, lr, loss, source: str, smoothed: bool, hint: Optional[str] = None) -> RangeTestLog:
    keys = list(d.keys())
    names = [str(k) for k in keys]
    i = _pick(names, lr, LR_COLUMNS, "lr", source, hint)
    j = _pick(names, loss, LOSS_COLUMNS, "loss", source, hint)
    ki, kj = keys[i], keys[j]
    return _make(d[ki], d[kj], source, str(ki), str(kj), smoothed or "smooth" in str(kj).lower())


def _is_frame(obj: Any) -> bool:
    """A pandas (or polars, modin, ...) DataFrame: named columns, each readable as ``obj[name]``;
    recognised without importing pandas."""
    return (not isinstance(obj, (str, bytes, os.PathLike, np.ndarray)) and hasattr(obj, "columns")
            and hasattr(obj, "__getitem__") and not callable(getattr(obj, "columns")))


def table_log(data: Any, lr: Any = None, loss: Any = None, hint: Optional[str] = None) -> Optional[RangeTestLog]:
    """The log in a mapping of columns (a dict of arrays) or a DataFrame, the columns recognised
    as :func:`load_log` recognises them; None when ``data`` is neither (an array, a file name).
    ``hint`` replaces "or pass lr=..." in the error for unrecognised columns (the caller says how
    its own user names them). Losses count as smoothed only where the column's name says so."""
    if _is_frame(data):
        frame = _FrameColumns(data)
        return _from_mapping(frame, lr, loss, type(data).__name__, smoothed=False, hint=hint)
    if isinstance(data, Mapping):
        return _from_mapping(data, lr, loss, type(data).__name__, smoothed=False, hint=hint)
    return None


class _FrameColumns:
    """A DataFrame seen as a mapping of its columns (pandas' ``keys()`` is the columns too, but
    polars has none)."""

    def __init__(self, frame: Any):
        self.frame = frame

    def keys(self) -> list:
        return list(self.frame.columns)

    def __getitem__(self, key: Any) -> Any:
        column = self.frame[key]
        to_numpy = getattr(column, "to_numpy", None)
        return to_numpy() if callable(to_numpy) else column


def _make(a, b, source, ca, cb, smoothed) -> RangeTestLog:
    lrs, losses = check_pair(a, b, min_points=1, source=source, names=("lr", "loss"))
    return RangeTestLog(lrs, losses, source, ca, cb, bool(smoothed))


def sweep_paths(path: Union[str, os.PathLike], sweeps: int) -> list:
    """The files a range test of several sweeps is saved to (``RangeTestRuns.save``, ``pyclr demo
    --csv``): ``rt.csv`` -> ``rt_run0.csv``, ``rt_run1.csv``, ..."""
    stem, ext = os.path.splitext(os.fspath(path))
    return [f"{stem}_run{i}{ext or '.csv'}" for i in range(sweeps)]


def load_log(path: Union[str, os.PathLike, Any], lr: Any = None, loss: Any = None) -> RangeTestLog:
    """Load a range-test log.

    Parameters
    ----------
    path : str, path-like, mapping, DataFrame or finder object
        * ``.csv``/``.tsv``/``.txt`` (delimiter sniffed from the header: tab, comma,
          semicolon): a header row, columns guessed from :data:`LR_COLUMNS` and
          :data:`LOSS_COLUMNS` (``lr,loss`` as written by ``pyclr.torch.range_test``);
          a header-less two-column file is read as ``lr, loss``; a header-less file with more
          columns needs both ``lr`` and ``loss`` as column indices (nothing is guessed there).
        * ``.json``: a dict of lists (``{"lr": [...], "loss": [...]}``) or a list of records,
          in UTF-8 (a BOM is skipped), UTF-16 or UTF-32; a ``.json`` file that is not one JSON
          value but one per line is read as JSON lines. ``.jsonl``/``.ndjson``: one record per line.
        * ``.npy`` (a ``[n, 2]`` array, or a structured array with named fields) and ``.npz``
          (named arrays); always loaded with ``allow_pickle=False``.
        * Any of these compressed with gzip, bzip2 or xz (``log.csv.gz``), recognised by the
          file's first bytes.
        * In Python: a mapping of columns (``{"lr": [...], "loss": [...]}``) or a pandas (or
          polars) DataFrame, the columns recognised as in files;
          torch-lr-finder's ``history`` dict or ``LRFinder``, Lightning's
          ``results`` dict or ``_LRFinder``, fastai's ``Recorder`` / ``Learner`` (``.lrs``,
          ``.losses``). Their losses are smoothed; the log says so.
    lr, loss : str or int, optional
        Column (key) name or index, to override the guess.

    Returns
    -------
    RangeTestLog

    Raises
    ------
    FileNotFoundError
        No such file.
    IsADirectoryError
        ``path`` is a directory.
    ValueError
        Anything else that makes the file unusable, with the file name (and the line where there
        is one): not a regular file (a FIFO, socket or device), not text or not UTF-8 where text
        is expected, a corrupted compressed file, malformed rows, no recognisable columns, ...
        Other OSErrors (permission denied) come from the operating system as they are.

    Examples
    --------
    >>> import os, tempfile, pyclr
    >>> path = os.path.join(tempfile.mkdtemp(), "range_test.csv")
    >>> with open(path, "w") as f:
    ...     _ = f.write("step,learning_rate,train_loss\\n0,0.0001,2.30\\n1,0.001,2.10\\n2,0.01,1.20\\n3,0.1,3.50\\n")
    >>> log = pyclr.load_log(path)
    >>> log.lr_column, log.loss_column, log.lrs.tolist(), log.losses.tolist()
    ('learning_rate', 'train_loss', [0.0001, 0.001, 0.01, 0.1], [2.3, 2.1, 1.2, 3.5])

    A mapping of columns (torch-lr-finder's ``history``, whose losses are smoothed):

    >>> log = pyclr.load_log({"lr": [1e-4, 1e-3, 1e-2], "loss": [2.3, 2.1, 2.6]})
    >>> log.lrs.tolist(), log.smoothed
    ([0.0001, 0.001, 0.01], True)
    """
    if isinstance(path, dict):  # torch-lr-finder's history: smoothed losses
        return _from_mapping(path, lr, loss, "dict", smoothed=True)
    if not isinstance(path, (str, bytes, os.PathLike)):
        table = table_log(path, lr, loss)  # a DataFrame or another mapping of columns
        if table is not None:
            return table
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
    _check_regular_file(path)
    codec = _compression(path)
    name = path
    if codec is not None and name.lower().endswith(_CODECS[codec][1]):
        name = name[: -len(_CODECS[codec][1])]
    ext = os.path.splitext(name)[1].lower()
    try:
        if ext == ".npy":
            return _load_npy(path, lr, loss, codec)
        if ext == ".npz":
            return _from_mapping(_read_numpy(path, ext, codec), lr, loss, path, smoothed=False)
        if ext in (".json", ".jsonl", ".ndjson"):
            return _load_json(path, lr, loss, codec, lines=ext != ".json")
        return _load_delimited(path, lr, loss, codec)
    except _decompression_errors(codec) as exc:
        raise ValueError(f"Expected a complete, uncorrupted {codec} file in {path}, but: "
                         f"{exc or type(exc).__name__}") from exc


_FILE_KINDS = ((stat.S_ISFIFO, "FIFO (named pipe)"), (stat.S_ISSOCK, "socket"),
               (stat.S_ISCHR, "character device"), (stat.S_ISBLK, "block device"))


def _check_regular_file(path: str) -> None:
    """Say what a path that is not a log file is: the reader seeks and reads positionally, and
    a FIFO would block it (and be consumed) rather than fail."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise FileNotFoundError(f"No such log file: {path!r}") from None
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(f"Expected a log file, but {path!r} is a directory")
    if not stat.S_ISREG(st.st_mode):
        kind = next((k for test, k in _FILE_KINDS if test(st.st_mode)), "special file")
        raise ValueError(f"Expected a regular log file, but {path!r} is a {kind}: save the log to a file first")


#: Compressed formats: the magic bytes that identify them (a name can lie: a gzip file saved
#: as .csv) and the suffix that names them.
_CODECS = {"gzip": (b"\x1f\x8b", ".gz"), "bzip2": (b"BZh", ".bz2"), "xz": (b"\xfd7zXZ\x00", ".xz")}


def _compression(path: str) -> Optional[str]:
    with open(path, "rb") as f:
        head = f.read(6)
    for codec, (magic, _) in _CODECS.items():
        # "BZh" alone could start a text file; bzip2 follows it with the block size digit 1-9
        if head.startswith(magic) and (codec != "bzip2" or head[3:4] in b"123456789"):
            return codec
    return None


def _open(path: str, codec: Optional[str]):
    """The file's bytes, decompressed where ``codec`` says so, as a binary file object."""
    if codec is None:
        return open(path, "rb", buffering=0)
    if codec == "gzip":
        import gzip

        return gzip.open(path, "rb")
    if codec == "bzip2":
        import bz2

        return bz2.open(path, "rb")
    import lzma

    return lzma.open(path, "rb")


def _decompression_errors(codec: Optional[str]) -> tuple:
    """What a truncated or corrupted file of ``codec`` raises while it is read: BadGzipFile (an
    OSError), EOFError, zlib.error, OSError (bzip2) or LZMAError. The file was opened and read
    already (:func:`_compression`), so an OSError here is the data's."""
    if codec is None:
        return ()
    import zlib

    errors: tuple[type[BaseException], ...] = (EOFError, OSError, zlib.error)
    if codec == "xz":
        import lzma

        errors += (lzma.LZMAError,)
    return errors


def _read_numpy(path, ext, codec=None):
    """The array of a .npy file, or a dict of a .npz archive's arrays; never unpickles. A file
    NumPy cannot read (empty, truncated, corrupted, pickled) raises ValueError naming the file:
    NumPy itself raises EOFError, zipfile.BadZipFile, zlib.error, tokenize.TokenError or a bare
    OSError for some of them. A missing or unreadable file keeps its OSError."""
    what = "a plain numeric .npy array" if ext == ".npy" else "a plain .npz archive"
    source = path
    if codec is not None:
        with _open(path, codec) as f:  # decompression errors: reported by load_log
            source = io.BytesIO(f.read())  # np.load needs to seek (.npz) and to know the size
    try:
        # our own handle: np.load(path) leaks its file when the archive is corrupt (NpzFile raises
        # in its constructor after NumPy handed it the open file)
        with (open(source, "rb") if codec is None else contextlib.nullcontext(source)) as fh:
            if ext == ".npy":
                return np.load(fh, allow_pickle=False)
            with np.load(fh, allow_pickle=False) as z:
                return {k: z[k] for k in z.files}
    except (FileNotFoundError, PermissionError, IsADirectoryError):
        raise
    except Exception as exc:
        detail = str(exc) or type(exc).__name__
        raise ValueError(f"Expected {what} (no pickled objects) in {path}, but: {detail}") from exc


def _load_npy(path, lr, loss, codec=None) -> RangeTestLog:
    arr = _read_numpy(path, ".npy", codec)
    if arr.dtype.names:
        return _from_mapping({n: arr[n] for n in arr.dtype.names}, lr, loss, path, smoothed=False)
    if arr.ndim != 2 or arr.shape[1] < 2:
        raise ValueError(f"Expected a [n, 2] array (lr, loss) in {path}, but got shape {arr.shape}")
    if arr.shape[1] > 2 and (lr is None or loss is None):
        raise ValueError(f"Expected a [n, 2] array (lr, loss) in {path}, or the column indices of both as "
                         f"lr= and loss=, but got shape {arr.shape} and lr={lr!r}, loss={loss!r}")
    i, j = _unnamed_columns(arr.shape[1], lr, loss, path)
    return _make(arr[:, i], arr[:, j], path, f"column {i}", f"column {j}", False)


def _json_text(path: str, codec: Optional[str]) -> str:
    """The file as text: UTF-8 (a BOM skipped), UTF-16 or UTF-32, told apart as RFC 8259 and
    ``json.loads(bytes)`` do; other bytes raise ValueError naming the file and the line."""
    with _open(path, codec) as f:
        raw = f.read()
    encoding = json.detect_encoding(raw)
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].decode(encoding, "replace").count("\n") + 1
        raise ValueError(f"{path}:{line}: Expected {encoding.replace('-sig', '').upper()} text (JSON), but byte "
                         f"0x{raw[exc.start]:02x} at offset {exc.start} cannot be decoded ({exc.reason})") from None


def _json_lines(text: str, path: str) -> tuple:
    """Records of a JSON-lines text and the file line of each (blank lines skipped)."""
    lines = text.split("\n")  # not splitlines(): JSON strings may hold U+2028 and other breaks
    where = [k for k, ln in enumerate(lines) if ln.strip()]
    try:
        data = json.loads("[" + ",".join(lines[k] for k in where) + "]")  # one C-level parse
        if len(data) == len(where):
            return data, [k + 1 for k in where]
    except json.JSONDecodeError:
        pass
    # Something is wrong: find the first line that is not exactly one JSON value.
    for k in where:
        try:
            json.loads(lines[k])
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{k + 1}: not valid JSON lines ({exc.msg} at column {exc.colno})") from None
    raise ValueError(f"{path}: not valid JSON lines")  # unreachable: every line is one value


def _load_json(path, lr, loss, codec=None, lines=False) -> RangeTestLog:
    """``lines``: JSON lines by name (.jsonl, .ndjson). A .json file is parsed whole first; only
    if that finds more data after a first complete value is it read as JSON lines."""
    text = _json_text(path, codec)
    line_of = None  # file line of each record, for JSON lines
    try:
        if lines:
            data, line_of = _json_lines(text, path)
        else:
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                if exc.msg != "Extra data":
                    raise ValueError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg} at column {exc.colno})") from None
                data, line_of = _json_lines(text, path)
    except RecursionError as exc:
        raise ValueError(f"{path}: JSON nested too deeply to be a range-test log") from exc
    if isinstance(data, dict):
        if "history" in data and isinstance(data["history"], dict):
            data = data["history"]
        return _from_mapping(data, lr, loss, path, smoothed=False)

    def where(n: int) -> str:
        return f"{path}:{line_of[n]}" if line_of else f"{path} (record {n}, counted from 0)"

    if isinstance(data, list) and data:
        bad = next((n for n, r in enumerate(data) if not isinstance(r, dict)), None)
        if bad is not None:
            raise ValueError(f"{where(bad)}: Expected a record (a JSON object), but got {type(data[bad]).__name__}: "
                             f"{json.dumps(data[bad])[:200]}")
        keys = list(data[0].keys())
        i = _pick(keys, lr, LR_COLUMNS, "lr", where(0))
        j = _pick(keys, loss, LOSS_COLUMNS, "loss", where(0))
        ki, kj = keys[i], keys[j]
        for n, r in enumerate(data):
            if ki not in r or kj not in r:
                raise ValueError(f"{where(n)}: record lacks {ki!r} or {kj!r}: {json.dumps(r)[:200]}")
        a = [r[ki] for r in data]
        b = [r[kj] if r[kj] is not None else float("nan") for r in data]
        try:
            return _make(a, b, path, ki, kj, "smooth" in kj.lower())
        except TypeError:
            for key, values in ((ki, a), (kj, b)):  # say which record
                for n, v in enumerate(values):
                    try:
                        float(v)
                    except (TypeError, ValueError):
                        raise ValueError(f"{where(n)}: Expected a number for {key!r}, but got "
                                         f"{json.dumps(v)[:200]}") from None
            raise
    raise ValueError(f"Expected a JSON object of lists or a list of records in {path}, but got "
                     f"{'an empty list' if data == [] else type(data).__name__}")


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


def _line_chunks(f, size: int, stream: bool = False):
    """Yield ``(file offset, bytes)`` pieces of the open binary file ``f`` that hold whole lines
    (each ends with a newline, except at the end of the file), read into one reused uint8 buffer:
    a piece is valid until the next one is asked for. A line longer than the buffer grows it.
    ``stream``: ``f`` is read in order with ``readinto`` (a decompressing reader, whose
    ``fileno()`` is the compressed file's), else at offsets (see :func:`_fill`).

    Not a memory map: a log rewritten while it is read (Lightning's CSVLogger rewrites
    metrics.csv) would kill the process with SIGBUS; here it only ends the read early."""
    cap = max(1, min(size + 1, _CHUNK_BYTES))  # + 1: a small file hits end-of-file in one read
    buf = np.empty(cap, dtype=np.uint8)
    held = offset = 0  # bytes of a partial line carried over; file offset of buf[0]
    while True:
        end = held + _fill(f, buf.data[held:], offset + held, stream)
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


def _fill(f, view: memoryview, pos: int, stream: bool = False) -> int:
    """Read the open binary file ``f`` from ``pos`` into ``view`` until it is full or the file
    ends; returns the bytes read. A large view is read in parts on all cores (``os.preadv``
    releases the GIL; where there is none, one ``readinto`` loop). ``stream``: ``f`` is at
    ``pos`` already and is read on with ``readinto``."""
    size = len(view)
    threaded = hasattr(os, "preadv") and not stream
    parts = max(1, min(_cpus(), size >> 23)) if threaded else 1  # >= 8 MiB a part
    bounds = [size * k // parts for k in range(parts + 1)]
    done = bounds[:-1]
    if not threaded and not stream:
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


def _lines_before(path, offset: int, codec: Optional[str] = None) -> int:
    """How many lines of the (decompressed) file end before byte ``offset`` (for an error
    message only)."""
    count = 0
    with _open(path, codec) as f:
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


#: Bytes that no text log holds (the parser's whitespace, 0x09-0x0d and 0x1c-0x1f, excluded):
#: a header line with one of them is binary data, e.g. a compression pyclr does not read.
_BINARY = re.compile(rb"[\x00-\x08\x0e-\x1b\x7f]")


def _load_delimited(path, lr, loss, codec=None) -> RangeTestLog:
    with _open(path, codec) as f:
        size = os.fstat(f.fileno()).st_size
        if codec is not None:
            # Size unknown until the end: the buffer takes the usual piece, the row estimate
            # assumes text about 4 times its compressed size (rows grow past it if needed).
            size = 4 * size + 1
        chunks = _line_chunks(f, _CHUNK_BYTES if codec is not None else size, stream=codec is not None)
        line, line_start, body_start, first = _header(chunks, path)
        if _BINARY.search(line):
            line_no = _lines_before(path, line_start, codec) + 1
            raise ValueError(f"Expected a text log (CSV/TSV, plain or gzip, bzip2 or xz compressed) in {path}, "
                             f"but line {line_no} is binary data (another compression or file format?)")
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
            if len(names) > 2 and (lr is None or loss is None):
                line_no = _lines_before(path, line_start, codec) + 1
                raise ValueError(
                    f"Expected a header row naming the lr and loss columns in {path}, but line {line_no} is "
                    f"{len(names)} columns of numbers and lr={lr!r}, loss={loss!r}: add a header (e.g. "
                    f"step,lr,loss) or pass both column indices, counted from 0 (load_log(path, lr=1, loss=2); "
                    f"pyclr analyze --lr 1 --loss 2)")
            i, j = _unnamed_columns(len(names), lr, loss, path)
            body_start = line_start
            ci, cj = f"column {i}", f"column {j}"
        else:
            i = _pick(names, lr, LR_COLUMNS, "lr", path)
            j = _pick(names, loss, LOSS_COLUMNS, "loss", path)
            ci, cj = names[i].strip('"'), names[j].strip('"')
        offset, buf = first
        body = buf[min(body_start - offset, buf.shape[0]):]
        cap = _row_capacity(body, max(size - body_start, body.shape[0] + 1) if codec else size - body_start)
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
                line_no = _lines_before(path, body_start, codec) + int(status[1])
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
