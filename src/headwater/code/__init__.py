"""Code locations: loading Definitions from -f/-m/-d, pyproject.toml or a workspace.yaml
(`loader`, `location`, `workspace_file`), describing them as JSON (`snapshot`), and serving
them from a subprocess (`server`, `client`) or over the network (`network`, `remote`), each
running only the calls of its closed table (`calls`: evaluations in `evaluation`, partition
questions in `query`, run creation in `run`). Sits above `definitions`, `execution` and
`storage`; never imported by them, nor by `headwater/__init__.py`.
"""
