"""The compute-log routes: what a run's steps wrote to stdout and stderr.

The run worker (or its executor's workers) writes the files while the steps run
(`execution/log.py`); these routes only read them, from a byte offset, so that a
page can poll for what is new and show a step's output live. The whole run's output is the
same routes without `step`. Imports `execution.log` and this package.
"""

from __future__ import annotations

import codecs
import os
import re
from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, Response

from headwater.execution.log import (
    IO_EXTENSIONS,
    compute_log_directory,
    run_log_path,
    step_log_path,
)
from headwater.server.run import run_record
from headwater.server.state import ApiError, ServerState, state_of

router = APIRouter(prefix="/api", tags=["runs"])
_STEP_KEY = re.compile(r"^[\w\[\]-]+(\.[\w\[\]-]+)*$")
_DEFAULT_LIMIT = 1 << 20
IoName = Literal["stdout", "stderr"]


def _storage(state: ServerState) -> str:
    return str(state.instance.storage_directory())


def _path(state: ServerState, run_id: str, step: str | None, io: str) -> str:
    run_record(state, run_id)
    if step is None:
        return run_log_path(_storage(state), run_id, io)
    if not _STEP_KEY.match(step):
        raise ApiError(400, f"{step!r} is not a step key; GET /api/runs/{run_id} lists the "
                            "run's steps.")
    return step_log_path(_storage(state), run_id, step, io)


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def read_chunk(path: str, cursor: int, limit: int) -> tuple[str, int]:
    """Text from byte `cursor` (at most `limit` bytes, never half a character) and the
    offset after it."""
    try:
        with open(path, "rb") as handle:
            handle.seek(cursor)
            data = handle.read(limit)
    except FileNotFoundError:
        return "", cursor
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    text = decoder.decode(data, final=False)
    pending = len(decoder.getstate()[0])  # the start of a character still being written
    return text, cursor + len(data) - pending


@router.get("/runs/{run_id}/compute_logs", summary="Which steps of a run wrote output, and how much")
def compute_log_index(request: Request, run_id: str) -> dict[str, Any]:
    state = state_of(request)
    run_record(state, run_id)
    storage = _storage(state)
    steps_dir = os.path.join(compute_log_directory(storage, run_id), "steps")
    names: set[str] = set()
    if os.path.isdir(steps_dir):
        names = {os.path.splitext(name)[0] for name in os.listdir(steps_dir)}
    return {"run_id": run_id,
            "run": {io: _size(run_log_path(storage, run_id, io)) for io in IO_EXTENSIONS},
            "steps": [{"step_key": name, **{io: _size(step_log_path(storage, run_id, name, io))
                                            for io in IO_EXTENSIONS}}
                      for name in sorted(names)]}


@router.get("/runs/{run_id}/compute_logs/{io}",
            summary="A step's (or the run's) stdout or stderr from a byte offset")
def compute_log(request: Request, run_id: str, io: IoName, step: str | None = None,
                cursor: int = Query(0, ge=0),
                limit: int = Query(_DEFAULT_LIMIT, ge=1, le=16 * _DEFAULT_LIMIT)) -> dict[str, Any]:
    state = state_of(request)
    path = _path(state, run_id, step, io)
    text, after = read_chunk(path, cursor, limit)
    size = _size(path)
    query = f"?step={step}" if step is not None else ""
    return {"run_id": run_id, "step_key": step, "io": io, "text": text, "cursor": after,
            "size": size, "has_more": after < size,
            "download": f"/api/runs/{run_id}/compute_logs/{io}/download{query}"}


@router.get("/runs/{run_id}/compute_logs/{io}/download",
            summary="A step's (or the run's) stdout or stderr as a text file")
def download_compute_log(request: Request, run_id: str, io: IoName,
                         step: str | None = None) -> Response:
    state = state_of(request)
    path = _path(state, run_id, step, io)
    filename = f"{run_id[:8]}-{step or 'run'}.{io}.txt"
    if not os.path.exists(path):
        return Response(b"", media_type="text/plain; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})
    return FileResponse(path, media_type="text/plain; charset=utf-8", filename=filename)
