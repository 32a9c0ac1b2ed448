"""Extract: raw page views from the web-log REST API into DuckDB, with dlt.

The dlt source `weblogs` has one resource, `page_views`, read with dlt's REST client: it
follows the `next` links of `/events` and asks only for events at or after the last `ts` it
loaded (dlt's incremental cursor, kept in the destination), merging on `id` so a re-read
boundary event is not loaded twice.

`@dlt_assets` makes the resource the asset `dlt_weblogs_page_views` (dagster-dlt's key rule),
downstream of the external `weblogs_page_views`. The API is `$WEBLOG_API_URL`; without it the
resource serves the bundled events.json on 127.0.0.1 while it extracts (weblog_api.py), so the
example runs offline.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dlt
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.paginators import JSONLinkPaginator
from weblog_api import serve

from headwater import AssetExecutionContext
from headwater_dlt import HeadwaterDltResource, dlt_assets

PAGE_SIZE = 100


def weblogs_home() -> Path:
    """Where the warehouse and dlt's working files live: $WEBLOGS_HOME, else a temp dir."""
    home = Path(os.environ.get("WEBLOGS_HOME") or Path(tempfile.gettempdir()) / "headwater-weblogs")
    home.mkdir(parents=True, exist_ok=True)
    return home


def warehouse_path() -> Path:
    return weblogs_home() / "weblogs.duckdb"


@contextmanager
def _api(api_url: str | None) -> Iterator[str]:
    if api_url:
        yield api_url.rstrip("/")
    else:
        with serve() as url:
            yield url


@dlt.source(name="weblogs")
def weblogs(api_url: str | None = None) -> Any:
    """The web-log API as a dlt source."""

    @dlt.resource(name="page_views", primary_key="id", write_disposition="merge")
    def page_views(
        ts: Any = dlt.sources.incremental("ts", initial_value="1970-01-01T00:00:00Z"),
    ) -> Iterator[Any]:
        """Raw page views: who requested which path when, with status, referrer and agent."""
        with _api(api_url) as base:
            client = RESTClient(base_url=base, data_selector="events",
                                paginator=JSONLinkPaginator(next_url_path="next"))
            yield from client.paginate("/events",
                                       params={"since": ts.last_value, "limit": PAGE_SIZE})

    return page_views


def weblogs_pipeline() -> Any:
    """dlt loads into the `raw` schema of the warehouse; its state stays under WEBLOGS_HOME."""
    home = weblogs_home()
    return dlt.pipeline(
        pipeline_name="weblogs",
        destination=dlt.destinations.duckdb(str(warehouse_path())),
        dataset_name="raw",
        pipelines_dir=str(home / "dlt"),
    )


@dlt_assets(
    dlt_source=weblogs(api_url=os.environ.get("WEBLOG_API_URL")),
    dlt_pipeline=weblogs_pipeline(),
    name="weblogs_extract",
    group_name="extract",
)
def weblog_raw(context: AssetExecutionContext, dlt: HeadwaterDltResource):
    """Load new page views and record how many rows the raw table holds."""
    yield from dlt.run(context=context).fetch_row_count()
