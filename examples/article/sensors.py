"""Sensors and Observability: new_file_sensor requests one run per file that lands.

Files arrive in $ARTICLE_DATA_DIR/inbox (default: <tmp>/headwater-article/inbox).
`process_file` counts a CSV file's rows and moves the file to
$ARTICLE_DATA_DIR/processed, so a processed file is no longer "new"; the
run key also stops a file from being requested twice.
"""

import csv
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from headwater import Definitions, RunRequest, SensorResult, job, op, sensor


def data_dir() -> Path:
    return Path(os.environ.get("ARTICLE_DATA_DIR") or Path(tempfile.gettempdir()) / "headwater-article")


def inbox_dir() -> Path:
    return data_dir() / "inbox"


def processed_dir() -> Path:
    return data_dir() / "processed"


@dataclass(frozen=True)
class IncomingFile:
    name: str
    path: str


def check_for_new_files():
    """Files waiting in the inbox, oldest name first."""
    inbox = inbox_dir()
    if not inbox.is_dir():
        return []
    return [IncomingFile(p.name, str(p)) for p in sorted(inbox.iterdir()) if p.is_file()]


@op(config_schema={"file_path": str})
def process_file(context):
    source = Path(context.op_config["file_path"])
    with source.open(newline="") as handle:
        rows = sum(1 for _ in csv.DictReader(handle))
    processed_dir().mkdir(parents=True, exist_ok=True)
    shutil.move(source, processed_dir() / source.name)
    context.log.info(f"Processed {source.name}: {rows} rows")
    return {"file": source.name, "rows": rows}


@job
def process_new_files():
    process_file()


@sensor(job=process_new_files)
def new_file_sensor(context):
    new_files = check_for_new_files()
    if not new_files:
        return SensorResult(skip_reason="No new files found")

    run_requests = []
    for file in new_files:
        run_requests.append(
            RunRequest(
                run_key=f"file_arrival_{file.name}",
                run_config={"ops": {"process_file": {"config": {"file_path": file.path}}}}
            )
        )

    return SensorResult(run_requests=run_requests)


defs = Definitions(jobs=[process_new_files], sensors=[new_file_sensor])
