"""Getting Started: the article's first asset (its `file_system.py`)."""

from headwater import Definitions, asset


@asset
def hello_headwater():
    return "Hello, Headwater!"


defs = Definitions(assets=[hello_headwater])
