"""Code locations: loading Definitions from -f/-m/-d or pyproject.toml (`loader`,
`location`), describing them as JSON (`snapshot`), and serving them from a subprocess
(`server`, `client`) that runs only the calls of its closed table (`calls`: evaluations in
`evaluation`, partition questions in `query`, run creation in `run`). Sits above
`definitions`, `execution` and `storage`; never imported by them, nor by
`headwater/__init__.py`.
"""
