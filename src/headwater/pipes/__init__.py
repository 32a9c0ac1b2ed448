"""Headwater Pipes, the orchestrating side: launch code in another process and hear back.

`session.py` holds the session (`open_pipes_session`, `PipesSession`) and the message handler
that turns reports into `MaterializeResult` / `AssetCheckResult`; `channels.py` the context
injectors and message readers (temp files, files, environment); `subprocess.py` the clients
(`PipesClient`, `PipesSubprocessClient`); `components.py` the executable components
(`FunctionComponent`, `PythonScriptComponent`, `UvRunComponent`). The external side is the
dependency-free `headwater_pipes` package, which shares the wire format (its constants are
imported from there).

May import `errors`, `definitions` and `execution` (like an integration), never above.
"""
