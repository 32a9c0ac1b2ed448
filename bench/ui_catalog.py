"""The asset catalog and graph at 10,000 assets: API times, first rows and first graph paint.

    .venv/bin/python bench/ui_catalog.py              # 10,000 assets
    .venv/bin/python bench/ui_catalog.py --n 2000 --repeats 5 --json

headwater only (Dagster's UI is a different program; there is nothing equal to run). It writes
a project of n assets (chains of 100 in groups of 500, kinds, owners, tags, one check per 50
assets), starts the real webserver with its code server on uvicorn in a thread over a SQLite
instance where a tenth of the assets have a materialization, then measures:

- how long the webserver's background build of every asset's status takes once it starts
  (server/assets/status.py), and `GET /api/health` then `GET /api/catalog?limit=100` sent the
  moment the server accepts requests (the catalog waits for that build if it still runs);
- `GET /api/catalog?limit=100` warm (median of `--repeats`), warm with a search, a filter and a
  sort by last materialization, and just after a new materialization (the statuses updated);
- `GET /api/assets` (every asset at once, what the graph loads), warm and just after a new
  materialization;
- in Chromium (`/usr/bin/chromium`, Playwright), from navigating to `/assets?view=catalog` to
  the first row drawn, median of `--repeats` page loads, and the same just after a new
  materialization;
- in Chromium, from navigating to `/assets` (the graph) to the first frame where node labels
  are drawn inside the view, with the graph's zoom (the `scale()` of the SVG transform the
  graph view writes) and the labels' size on screen (their CSS font size times that scale):
  readable means names of at least ~10 px. Median of `--repeats`, and after a materialization.

Targets (docs/ui.md): catalog first rows under 1 s, graph readable on first paint, the API's
lists under 100 ms. No test asserts on these times.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def write_project(path: Path, n: int) -> Path:
    path.write_text(f'''
from headwater import AssetCheckResult, AssetCheckSpec, AssetSpec, Definitions, asset_check
specs = []
for i in range({n}):
    deps = [f"a{{i - 1}}"] if i % 100 else []
    specs.append(AssetSpec(f"a{{i}}", deps=deps, group_name=f"group_{{i // 500}}",
                           kinds={{"python", "sql" if i % 2 else "csv"}},
                           owners=[f"team:t{{i % 7}}"], tags={{"tier": f"t{{i % 3}}"}}))
defs = Definitions(assets=specs)
''')
    return path


def seed(instance: Any, n: int) -> None:
    """A materialization of every tenth asset, as if reported by an external tool."""
    from headwater import AssetMaterialization

    for i in range(0, n, 10):
        instance.report_runless_asset_event(AssetMaterialization(asset_key=f"a{i}"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def timed_get(client: Any, url: str) -> float:
    start = time.perf_counter()
    response = client.get(url)
    elapsed = time.perf_counter() - start
    response.raise_for_status()
    return elapsed * 1000


# The first frame with node labels inside the view: the graph's zoom (the scale() of the
# transform the graph view writes on its SVG group) and the labels' size on screen.
LABELS = """() => {
  const svg = document.querySelector("svg.graph-svg");
  if (!svg || svg.dataset.detail !== "full") return null;
  const group = svg.querySelector(":scope > g");
  const scale = /scale\\(([-0-9.e]+)\\)/.exec(group ? group.getAttribute("transform") || "" : "");
  if (!scale) return null;
  const k = parseFloat(scale[1]);
  const view = svg.getBoundingClientRect();
  const shown = (t) => { const r = t.getBoundingClientRect();
    return r.width > 0 && r.right > view.left && r.left < view.right && r.bottom > view.top
      && r.top < view.bottom; };
  const px = (t) => parseFloat(getComputedStyle(t).fontSize) * k;
  const names = [...svg.querySelectorAll("[data-node] text.group-name, [data-node] text.asset-name")]
    .filter(shown);
  const all = [...svg.querySelectorAll("[data-node] text")].filter(shown);
  if (!names.length) return null;
  return {k, names: names.length, name_px: Math.min(...names.map(px)),
          smallest_px: Math.min(...all.map(px))};
}"""


def measure_graph(page: Any, base: str, instance: Any, repeats: int, out: dict[str, Any]) -> None:
    """Time from navigating to /assets to the first frame with labels in view, and how big
    they are on screen then."""
    from headwater import AssetMaterialization

    def first_paint() -> tuple[float, dict[str, Any]]:
        start = time.perf_counter()
        page.goto(f"{base}/assets")
        found = page.wait_for_function(LABELS, polling="raf", timeout=120_000).json_value()
        return (time.perf_counter() - start) * 1000, found

    first_paint()  # the browser's cache of the UI
    warm = [first_paint() for _ in range(repeats)]
    out["browser_graph_first_paint_ms"] = statistics.median(t for t, _ in warm)
    changed = []
    for i in range(repeats):
        instance.report_runless_asset_event(AssetMaterialization(asset_key=f"a{i + 7}"))
        changed.append(first_paint())
    out["browser_graph_first_paint_after_change_ms"] = statistics.median(t for t, _ in changed)
    seen = warm[-1][1]
    page.wait_for_timeout(2000)  # does the view stay there (no later fit that shrinks it)?
    settled = page.evaluate(LABELS)
    out["graph_zoom_at_first_paint"] = float(seen["k"])
    out["graph_zoom_2s_later"] = float(settled["k"]) if settled else 0.0
    out["graph_labels_in_view"] = int(seen["names"])
    out["graph_name_label_px"] = float(seen["name_px"])
    out["graph_smallest_label_px"] = float(seen["smallest_px"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    import httpx
    import uvicorn
    from playwright.sync_api import sync_playwright

    from headwater import AssetMaterialization
    from headwater.code.location import CodeLocationOrigin
    from headwater.server import create_app
    from headwater.storage.instance import HeadwaterInstance

    out: dict[str, Any] = {"assets": args.n, "repeats": args.repeats}
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        defs = write_project(Path(tmp) / "defs.py", args.n)
        instance = HeadwaterInstance.from_url(f"sqlite:///{home}/headwater.db", str(home))
        start = time.perf_counter()
        seed(instance, args.n)
        out["seed_s"] = time.perf_counter() - start
        start = time.perf_counter()
        app = create_app(instance, [CodeLocationOrigin(python_file=str(defs))])
        out["code_location_load_s"] = time.perf_counter() - start  # the code server's snapshot
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                               log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port}"
        try:
            with httpx.Client(base_url=base, timeout=120) as client:
                out["api_health_at_startup_ms"] = timed_get(client, "/api/health")
                out["api_catalog_at_startup_ms"] = timed_get(client, "/api/catalog?limit=100")
                kept = app.state.headwater.workspace.index.memo["asset_statuses"]
                out["statuses_background_build_ms"] = kept.build_seconds * 1000
                for name, query in [("api_catalog_warm_ms", "limit=100"),
                                    ("api_catalog_search_ms", "limit=100&q=a12"),
                                    ("api_catalog_filter_ms", "limit=100&group=group_3&kind=sql"),
                                    ("api_catalog_sort_ms",
                                     "limit=100&sort=last_materialized&order=desc")]:
                    out[name] = statistics.median(
                        timed_get(client, f"/api/catalog?{query}") for _ in range(args.repeats))
                out["api_assets_all_ms"] = statistics.median(
                    timed_get(client, "/api/assets") for _ in range(args.repeats))
                changed = []
                for i in range(args.repeats):
                    instance.report_runless_asset_event(AssetMaterialization(asset_key=f"a{i + 3}"))
                    changed.append(timed_get(client, "/api/catalog?limit=100"))
                out["api_catalog_after_change_ms"] = statistics.median(changed)
                changed = []
                for i in range(args.repeats):
                    instance.report_runless_asset_event(AssetMaterialization(asset_key=f"a{i + 5}"))
                    changed.append(timed_get(client, "/api/assets"))
                out["api_assets_all_after_change_ms"] = statistics.median(changed)
                out["full_builds"] = kept.full_builds
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                page.goto(f"{base}/assets?view=catalog")  # warms the browser's cache of the UI
                page.wait_for_selector("[data-asset-row]")

                def first_rows() -> float:
                    start = time.perf_counter()
                    page.goto(f"{base}/assets?view=catalog")
                    page.wait_for_selector("[data-asset-row]")
                    return (time.perf_counter() - start) * 1000

                out["browser_first_rows_ms"] = statistics.median(
                    first_rows() for _ in range(args.repeats))
                rebuilt = []
                for i in range(args.repeats):
                    instance.report_runless_asset_event(AssetMaterialization(asset_key=f"a{i + 1}"))
                    rebuilt.append(first_rows())
                out["browser_first_rows_after_change_ms"] = statistics.median(rebuilt)
                out["rows_drawn"] = page.locator("[data-asset-row]").count()
                measure_graph(page, base, instance, args.repeats, out)
                browser.close()
        finally:
            server.should_exit = True
            thread.join(10)
            app.state.headwater.workspace.shutdown()
            instance.dispose()
    if args.json:
        print(json.dumps(out, indent=2))
        return
    for name, value in out.items():
        print(f"{name:40} {value:10.2f}" if isinstance(value, float) else f"{name:40} {value:>10}")


if __name__ == "__main__":
    main()
