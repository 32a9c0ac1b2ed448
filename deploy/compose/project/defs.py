"""The project docker-compose.yml serves until you point it at yours
(HEADWATER_PROJECT_DIR=/path/to/project docker compose up): two assets and a daily schedule."""

from headwater import Definitions, ScheduleDefinition, asset, define_asset_job


@asset
def raw_orders() -> list[int]:
    return [3, 4, 5]


@asset
def order_total(raw_orders: list[int]) -> int:
    return sum(raw_orders)


daily = ScheduleDefinition(job=define_asset_job("refresh", selection="*"),
                           cron_schedule="0 6 * * *")

defs = Definitions(assets=[raw_orders, order_total], schedules=[daily])
