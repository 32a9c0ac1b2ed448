"""`DeltaTableResource`: one Delta table, opened as a `deltalake.DeltaTable` for code that
reads or writes it directly."""

from __future__ import annotations

from deltalake import DeltaTable
from deltalake.exceptions import TableNotFoundError
from pydantic import Field

from headwater import ConfigurableResource
from headwater_deltalake.config import AzureConfig, ClientConfig, GcsConfig, LocalConfig, S3Config


class DeltaTableResource(ConfigurableResource):
    """Gives `load()`, the table at `url` (at `version` when set).

    ```python
    @asset
    def trips(trips_table: DeltaTableResource) -> pd.DataFrame:
        return trips_table.load().to_pandas()
    ```
    """

    url: str = Field(description="The table's location: a directory or a cloud URL.")
    storage_options: AzureConfig | S3Config | LocalConfig | GcsConfig = Field(
        discriminator="provider", description="The object store and its credentials.")
    client_options: ClientConfig | None = Field(
        default=None, description="Options of the HTTP client for cloud stores.")
    version: int | None = Field(default=None, description="The table version to load "
                                                          "(time travel); the latest if unset.")

    def load(self) -> DeltaTable:
        """The table as a `deltalake.DeltaTable`."""
        options = {**self.storage_options.str_dict(),
                   **(self.client_options.str_dict() if self.client_options else {})}
        try:
            return DeltaTable(self.url, storage_options=options, version=self.version)
        except TableNotFoundError as exc:
            raise TableNotFoundError(
                f"DeltaTableResource: there is no Delta table at {self.url}"
                + (f" (version {self.version})" if self.version is not None else "")
                + f": {exc}. Check `url` and `storage_options`, or write the table first."
            ) from exc
