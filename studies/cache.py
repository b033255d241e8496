"""Where the suite keeps range-test logs and training results, and how it names them.

The folder is ``studies/_cache/`` unless ``$PYCLR_STUDIES_CACHE`` or an explicit ``cache=``
/ ``--cache`` says otherwise. Every entry is one small JSON file written atomically (a
temporary file, then ``os.replace``), so worker processes never see half a file and an
interrupted run keeps what it finished. A file's name is a hash of everything that
determines its content (the configuration's fields, the seed, the exact ``range_test``
call or schedule spec, :data:`VERSION`): change a task or a call and the old entries are
simply not found again.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Optional, Union

__all__ = ["VERSION", "ENV", "cache_dir", "digest", "write_json", "read_json"]

#: Bump when a change to the suite's code changes what a cached entry would hold.
VERSION = 1
#: Environment variable naming the cache folder.
ENV = "PYCLR_STUDIES_CACHE"


def cache_dir(cache: Optional[Union[str, os.PathLike]] = None) -> Path:
    """``cache``, else ``$PYCLR_STUDIES_CACHE``, else ``studies/_cache`` beside this file."""
    if cache is None:
        cache = os.environ.get(ENV) or Path(__file__).resolve().parent / "_cache"
    return Path(cache)


def digest(obj: Any, length: int = 16) -> str:
    """A short stable hash of a JSON-serialisable object (keys sorted, floats at repr precision)."""
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"))
    return hashlib.sha1(text.encode()).hexdigest()[:length]


def write_json(path: Path, obj: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(obj, fh, allow_nan=True)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def read_json(path: Path) -> Optional[Any]:
    """The file's content, or None when it is missing or unreadable (it is then recomputed)."""
    try:
        with open(path) as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return None
