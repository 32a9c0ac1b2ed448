"""Code locations: loading Definitions from -f/-m/-d or pyproject.toml (`loader`,
`location`), describing them as JSON (`snapshot`), and serving them from a subprocess
(`server`, `client`). Sits above `definitions`, `execution` and `storage`; never imported
by them, nor by `headwater/__init__.py`.
"""
