"""Find the Definitions in a Python file or module.

A broken file raises `CodeLoadError` carrying the file, line and message, so that
callers (CLI, code server) report it instead of crashing. That includes code that ends the
process while it is imported (`sys.exit`, `exit()`, `os._exit`) or raises KeyboardInterrupt
itself: the importing process (a CLI command, a code server) lives on and says which location
did it. Imports `headwater.definitions`.
"""

from __future__ import annotations

import gc
import importlib
import importlib.util
import os
import signal
import sys
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

from headwater.definitions.assets.definition import AssetsDefinition
from headwater.definitions.config.dotenv import apply_dotenv
from headwater.definitions.definitions import Definitions, LazyDefinitions
from headwater.definitions.ops.job import JobDefinition
from headwater.definitions.repository import RepositoryDefinition
from headwater.errors import HeadwaterError


class CodeLoadError(HeadwaterError):
    """User code could not be imported, or holds no Definitions."""

    def __init__(self, message: str, file: str | None = None, line: int | None = None,
                 traceback_text: str = ""):
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.traceback_text = traceback_text

    def __str__(self) -> str:
        where = f" ({self.file}:{self.line})" if self.file and self.line else (
            f" ({self.file})" if self.file else "")
        return f"{self.message}{where}"

    def to_dict(self) -> dict[str, Any]:
        """The error as plain JSON data (what a code server replies)."""
        return {"kind": "load_error", "message": self.message, "file": self.file,
                "line": self.line, "traceback": self.traceback_text}


def error_from_exception(exc: BaseException, kind: str = "user_code_error") -> dict[str, Any]:
    """A structured error (kind, message, file, line, traceback) for an exception raised by
    user code; file and line point at the innermost frame outside headwater."""
    frames = traceback.extract_tb(exc.__traceback__)
    user = [f for f in frames if "/headwater/" not in f.filename]
    last = user[-1] if user else (frames[-1] if frames else None)
    return {"kind": kind, "message": f"{type(exc).__name__}: {exc}",
            "file": last.filename if last else None, "line": last.lineno if last else None,
            "traceback": "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))}


class _ExitCalled(BaseException):
    """Raised in place of `os._exit(code)` called by the code being loaded."""

    def __init__(self, code: int):
        super().__init__(code)
        self.code = code


@contextmanager
def exits_as_load_errors(location: str, doing: str) -> Iterator[None]:
    """Run user code (an import, a @definitions function) so that ending the process or
    raising KeyboardInterrupt becomes a `CodeLoadError` naming `location`. A real Ctrl-C
    (SIGINT while inside) still interrupts."""
    pid, thread = os.getpid(), threading.get_ident()
    real_exit = os._exit

    def exit_called(code: int) -> NoReturn:
        # only the importing thread of this process; a forked child must really exit
        if os.getpid() == pid and threading.get_ident() == thread:
            raise _ExitCalled(code)
        real_exit(code)

    signalled: list[int] = []
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.getsignal(signal.SIGINT)
        if callable(previous):
            handler = previous

            def on_interrupt(signum: int, frame: Any) -> Any:
                signalled.append(signum)
                return handler(signum, frame)

            signal.signal(signal.SIGINT, on_interrupt)
        else:
            previous = None
    setattr(os, "_exit", exit_called)  # noqa: B010 - mypy refuses assigning to a function
    try:
        yield
    except SystemExit as exc:
        call = "sys.exit()" if exc.code is None else f"sys.exit({exc.code!r})"
        raise _exit_error(location, f"called {call} {doing}", exc) from None
    except _ExitCalled as exc:
        raise _exit_error(location, f"called os._exit({exc.code!r}) {doing}", exc) from None
    except KeyboardInterrupt as exc:
        if signalled:
            raise
        raise _exit_error(location, f"raised KeyboardInterrupt {doing}", exc) from None
    finally:
        setattr(os, "_exit", real_exit)  # noqa: B010
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def _exit_error(location: str, what: str, exc: BaseException) -> CodeLoadError:
    frames = traceback.extract_tb(exc.__traceback__)
    user = [f for f in frames if "importlib" not in f.filename and "/headwater/" not in f.filename
            and not f.filename.startswith("<")]  # <frozen _sitebuiltins>: the exit() builtin
    last = user[-1] if user else None
    fix = "raise it" if isinstance(exc, KeyboardInterrupt) else "end the process"
    return CodeLoadError(
        f"The code location {location!r} {what}. Code that defines assets and jobs must not "
        f"{fix}: remove that line, or put it under `if __name__ == \"__main__\":`.",
        last.filename if last else None, last.lineno if last else None,
        "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))


def load_definitions(python_file: str | None = None, module_name: str | None = None,
                     working_directory: str | None = None, attribute: str | None = None,
                     location: str | None = None) -> Definitions:
    """Import the code and return its Definitions (or one built from its assets and jobs).

    The `.env` files of the working directory (and of the process's own directory) fill in
    environment variables the environment lacks before the code is imported, as in Dagster.
    """
    if working_directory:
        apply_dotenv(working_directory)
    apply_dotenv()
    if working_directory:
        working_directory = os.path.abspath(working_directory)
        if working_directory not in sys.path:
            sys.path.insert(0, working_directory)
        # A relative -f is looked up in the working directory first, as the user means it.
        if python_file and not os.path.isabs(python_file) and not os.path.exists(python_file):
            python_file = os.path.join(working_directory, python_file)
    # Importing thousands of definitions allocates many small containers; the cyclic
    # collector would rescan them over and over (about 40% of load time at 10,000 assets).
    # They are long-lived anyway, so collect once afterwards instead.
    was_enabled = gc.isenabled()
    gc.disable()
    origin = python_file or module_name or ""
    name = location or os.path.splitext(os.path.basename(origin))[0] or origin
    try:
        with exits_as_load_errors(name, "while being imported"):
            module = _import(python_file, module_name)
        with exits_as_load_errors(name, "while building its Definitions"):
            return _find_definitions(module, attribute, origin)
    finally:
        if was_enabled:
            gc.enable()


# The folder holding headwater/ and the headwater_* packages: their frames are not user code.
_PACKAGES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "headwater")


def _is_ours(filename: str) -> bool:
    return os.path.abspath(filename).startswith(_PACKAGES)


def _import(python_file: str | None, module_name: str | None) -> Any:
    try:
        if python_file:
            path = os.path.abspath(python_file)
            if not os.path.exists(path):
                raise CodeLoadError(f"No such file: {python_file}", python_file)
            directory = os.path.dirname(path)
            if directory not in sys.path:
                sys.path.insert(0, directory)
            name = os.path.splitext(os.path.basename(path))[0]
            spec = importlib.util.spec_from_file_location(name, path)
            if spec is None or spec.loader is None:
                raise CodeLoadError(f"Cannot import {python_file}", python_file)
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
            return module
        if module_name:
            if os.getcwd() not in sys.path:
                sys.path.insert(0, os.getcwd())
            return importlib.import_module(module_name)
    except CodeLoadError:
        raise
    except Exception as exc:
        frames = traceback.extract_tb(exc.__traceback__)
        user = [f for f in frames if "importlib" not in f.filename and not _is_ours(f.filename)]
        last = user[-1] if user else (frames[-1] if frames else None)
        line = getattr(exc, "lineno", None) if isinstance(exc, SyntaxError) else (last.lineno if last else None)
        file = getattr(exc, "filename", None) if isinstance(exc, SyntaxError) else (last.filename if last else None)
        raise CodeLoadError(
            f"Error loading definitions: {type(exc).__name__}: {exc}", file, line,
            "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
        ) from exc
    raise CodeLoadError("Pass a file (-f) or a module (-m) to load definitions from.")


def _find_definitions(module: Any, attribute: str | None, origin: str) -> Definitions:
    if attribute:
        value = getattr(module, attribute, None)
        if isinstance(value, LazyDefinitions):
            value = value()
        if not isinstance(value, Definitions):
            raise CodeLoadError(f"'{attribute}' in {origin} is not a Definitions object.", origin)
        return value
    found = [v for v in vars(module).values() if isinstance(v, (Definitions, LazyDefinitions))]
    if not found:
        # A Dagster-style `@repository` holding a list of definitions.
        found = [defs for v in vars(module).values() if isinstance(v, RepositoryDefinition)
                 and (defs := v.definitions) is not None]
    if len(found) == 1:
        return found[0]() if isinstance(found[0], LazyDefinitions) else found[0]
    if len(found) > 1:
        raise CodeLoadError(
            f"{origin} holds {len(found)} Definitions objects; name one with --attribute.", origin
        )
    assets = [v for v in vars(module).values() if isinstance(v, AssetsDefinition)]
    jobs = [v for v in vars(module).values() if isinstance(v, JobDefinition)]
    if not assets and not jobs:
        raise CodeLoadError(
            f"No Definitions found in {origin}: add `defs = Definitions(assets=[...])`.", origin
        )
    return Definitions(assets=assets, jobs=jobs)
