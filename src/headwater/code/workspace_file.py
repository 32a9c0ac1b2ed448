"""workspace.yaml: several code locations, local and remote, in one file (Dagster's format).

    load_from:
      - python_file: defs.py                       # or {relative_path, location_name,
                                                   #     working_directory, attribute}
      - python_module: {module_name: pkg.defs, working_directory: src}
      - grpc_server: {host: code.internal, port: 4000, location_name: sales,
                      token_file: token.txt, ssl: true, ssl_ca_file: ca.pem}

`origins_from_workspace(path)` reads it into `CodeLocationOrigin`s (imported by a code server
subprocess, as with -f/-m) and `RemoteOrigin`s (a code server someone else started,
`headwater code-server start`). Relative paths are relative to the workspace file's
directory. A `grpc_server`'s token comes from `token_file`, else from the variable named by
`token_env`, else from $HEADWATER_CODE_SERVER_TOKEN. Every mistake is one `CodeLoadError`
naming the file, the entry and the field. Imports `code.location` and `code.remote`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from headwater.code.loader import CodeLoadError
from headwater.code.location import CodeLocationOrigin
from headwater.code.remote import TOKEN_ENV, RemoteOrigin

#: the fields each kind of entry takes (the first is the one its short form gives)
FIELDS: Mapping[str, tuple[str, ...]] = {
    "python_file": ("relative_path", "location_name", "working_directory", "attribute"),
    "python_module": ("module_name", "location_name", "working_directory", "attribute"),
    "grpc_server": ("host", "port", "location_name", "token_file", "token_env", "ssl",
                    "ssl_ca_file"),
}


def origins_from_workspace(path: str) -> list[CodeLocationOrigin | RemoteOrigin]:
    """The code locations a workspace file lists, in order."""
    import yaml

    path = os.path.abspath(path)
    try:
        with open(path, encoding="utf-8") as f:
            data = yaml.safe_load(f)
    except OSError as exc:
        raise CodeLoadError(f"Cannot read workspace file {path}: {exc.strerror}.") from None
    except yaml.YAMLError as exc:
        raise CodeLoadError(f"Workspace file {path} is not valid YAML: {exc}") from None
    entries = data.get("load_from") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise CodeLoadError(f"{path}: expected a `load_from:` list of code locations, e.g.\n"
                            "load_from:\n  - python_file: defs.py")
    root = os.path.dirname(path)
    origins = [_entry(entry, f"{path}: load_from[{i}]", root) for i, entry in enumerate(entries)]
    names = [o.name for o in origins]
    for name in names:
        if names.count(name) > 1:
            raise CodeLoadError(f"{path}: two entries of load_from are both the location "
                                f"{name!r}; give each a distinct location_name.")
    return origins


def _entry(entry: Any, where: str, root: str) -> CodeLocationOrigin | RemoteOrigin:
    if not isinstance(entry, dict) or len(entry) != 1 or next(iter(entry)) not in FIELDS:
        raise CodeLoadError(f"{where}: expected one of {', '.join(FIELDS)} as the entry's only "
                            f"key, got {entry!r}.")
    kind, value = next(iter(entry.items()))
    where = f"{where}.{kind}"
    if isinstance(value, str) and kind != "grpc_server":
        value = {FIELDS[kind][0]: value}
    if not isinstance(value, dict):
        raise CodeLoadError(f"{where}: expected a mapping of {', '.join(FIELDS[kind])}, got "
                            f"{value!r}.")
    unknown = sorted(set(value) - set(FIELDS[kind]))
    if unknown:
        raise CodeLoadError(f"{where}: unknown field(s) {', '.join(map(str, unknown))}; the "
                            f"fields are {', '.join(FIELDS[kind])}.")
    for name, given in value.items():
        if name not in ("port", "ssl") and not isinstance(given, str):
            raise CodeLoadError(f"{where}.{name}: expected a string, got {given!r}.")
    if kind == "grpc_server":
        return _remote(value, where, root)
    required = FIELDS[kind][0]
    if not value.get(required):
        raise CodeLoadError(f"{where}.{required}: missing; say which "
                            f"{'file' if kind == 'python_file' else 'module'} holds the "
                            "Definitions.")
    wd = _path(root, value.get("working_directory"))
    if kind == "python_file":
        base = wd or root
        python_file = os.path.normpath(os.path.join(base, value["relative_path"]))
        if not os.path.isfile(python_file):
            raise CodeLoadError(f"{where}.relative_path: {python_file} does not exist (paths "
                                "are relative to the workspace file, or to working_directory "
                                "when given).")
        return CodeLocationOrigin(python_file=python_file, working_directory=wd,
                                  attribute=value.get("attribute"),
                                  location_name=value.get("location_name"))
    return CodeLocationOrigin(module_name=value["module_name"], working_directory=wd or root,
                              attribute=value.get("attribute"),
                              location_name=value.get("location_name"))


def _remote(value: Mapping[str, Any], where: str, root: str) -> RemoteOrigin:
    host, port = value.get("host"), value.get("port")
    if not host:
        raise CodeLoadError(f"{where}.host: missing; give the address the code server listens "
                            "on.")
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise CodeLoadError(f"{where}.port: expected a port number (1-65535), got {port!r}.")
    ssl = value.get("ssl", False)
    if not isinstance(ssl, bool):
        raise CodeLoadError(f"{where}.ssl: expected true or false, got {ssl!r}.")
    if value.get("token_file") and value.get("token_env"):
        raise CodeLoadError(f"{where}: give the token once, with token_file or token_env.")
    token = None
    if value.get("token_file"):
        token_path = _path(root, value["token_file"])
        try:
            with open(str(token_path), encoding="utf-8") as f:
                token = f.read().strip()
        except OSError as exc:
            raise CodeLoadError(f"{where}.token_file: cannot read {token_path}: "
                                f"{exc.strerror}.") from None
        if not token:
            raise CodeLoadError(f"{where}.token_file: {token_path} is empty; write the code "
                                "server's token in it.")
    else:
        variable = value.get("token_env") or TOKEN_ENV
        token = os.environ.get(variable, "").strip() or None
        if token is None and value.get("token_env"):
            raise CodeLoadError(f"{where}.token_env: the variable {variable} is not set; set "
                                "it to the code server's token.")
    ca_file = _path(root, value.get("ssl_ca_file"))
    if ca_file is not None and not os.path.isfile(ca_file):
        raise CodeLoadError(f"{where}.ssl_ca_file: {ca_file} does not exist.")
    if ca_file is not None and not ssl:
        raise CodeLoadError(f"{where}.ssl_ca_file: given without `ssl: true`; turn TLS on or "
                            "drop the CA file.")
    return RemoteOrigin(host=host, port=port, location_name=value.get("location_name"),
                        token=token, tls=ssl, tls_ca_file=ca_file)


def _path(root: str, given: str | None) -> str | None:
    return os.path.normpath(os.path.join(root, given)) if given else None
