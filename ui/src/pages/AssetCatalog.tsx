// The asset catalog (/assets?view=catalog): every asset as a table row, searched, filtered,
// sorted and paged by the server (GET /api/catalog), so the first rows show at once even with
// 10,000 assets. Filters live in the URL; rows are selected with checkboxes for
// "Materialize selected", and "Materialize all shown" launches every row on screen.
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useSearchParams } from "react-router";
import { api, type CatalogPage, type CatalogRow } from "../api";
import { AssetViewSwitch } from "../components/AssetViewSwitch";
import { CatalogTable, nextSort, type SortColumn } from "../components/CatalogTable";
import { MaterializeButton } from "../components/Materialize";
import { useOnReconnect, useRunChanges } from "../live";
import { ErrorBox, Loading, statusLabel, unlessUnreachable, useTitle } from "../util";

const PAGE = 100;
const MAX_PAGE = 1000;
const STATUSES = ["materialized", "stale", "failed", "in_progress", "never"];
// The URL's ?checks= choices (shared with the graph) as the API's check results.
const CHECKS: [string, string, string][] = [
  ["failed", "Failed checks", "failed,warn"],
  ["not_run", "Checks not run", "not_run"],
  ["any", "With checks", "passed,warn,failed,in_progress,not_run"],
];
// URL parameter -> its label; each is passed on to the API as is.
const FACET_FILTERS: ["group" | "kind" | "owner" | "tag" | "location", string][] = [
  ["group", "Group"], ["kind", "Kind"], ["owner", "Owner"], ["tag", "Tag"], ["location", "Code location"],
];

function apiQuery(params: URLSearchParams): URLSearchParams {
  const q = new URLSearchParams();
  for (const name of ["q", "group", "kind", "owner", "tag", "location", "status", "stale", "sort", "order"]) {
    const v = params.get(name);
    if (v) q.set(name, v);
  }
  const checks = CHECKS.find(([id]) => id === params.get("checks"));
  if (checks) q.set("checks", checks[2]);
  return q;
}

export function AssetCatalogPage() {
  useTitle("Asset catalog");
  const [params, setParams] = useSearchParams();
  const [data, setData] = useState<CatalogPage>();
  const [rows, setRows] = useState<CatalogRow[]>([]);
  const [error, setError] = useState<Error>();
  const [loadingMore, setLoadingMore] = useState(false);
  const [selected, setSelected] = useState<Map<string, CatalogRow>>(new Map());
  const [search, setSearch] = useState(params.get("q") ?? "");
  const query = apiQuery(params).toString();
  const request = useRef(0);
  const shown = useRef(PAGE);
  shown.current = Math.max(rows.length, PAGE);

  // Loads the first rows again (as many as are shown, so a live refresh keeps the scroll).
  const load = useCallback((limit: number) => {
    const id = ++request.current;
    api<CatalogPage>(`/api/catalog?${query}${query ? "&" : ""}limit=${Math.min(limit, MAX_PAGE)}`).then((page) => {
      if (id !== request.current) return;
      setData(page);
      setRows(page.items);
      setError(undefined);
    }).catch(unlessUnreachable(setError));
  }, [query]);

  useEffect(() => { load(PAGE); }, [load]);
  const refresh = useCallback(() => load(shown.current), [load]);
  useRunChanges(refresh);
  useOnReconnect(refresh);

  const loadMore = () => {
    if (!data?.cursor) return;
    const id = request.current;
    setLoadingMore(true);
    api<CatalogPage>(`/api/catalog?${query}${query ? "&" : ""}limit=${PAGE}&cursor=${data.cursor}`).then((page) => {
      if (id !== request.current) return;
      setData(page);
      setRows((cur) => [...cur, ...page.items]);
    }).catch(unlessUnreachable(setError)).finally(() => setLoadingMore(false));
  };

  const set = useCallback((name: string, value: string) => {
    setParams((cur) => {
      const next = new URLSearchParams(cur);
      if (value) next.set(name, value);
      else next.delete(name);
      return next;
    }, { replace: true });
  }, [setParams]);

  // The search box updates the URL (and so the query) once typing pauses.
  useEffect(() => {
    if (search.trim() === (params.get("q") ?? "")) return;
    const t = window.setTimeout(() => set("q", search.trim()), 200);
    return () => window.clearTimeout(t);
  }, [search, params, set]);

  // "/" focuses the search, as on the graph.
  const searchRef = useRef<HTMLInputElement>(null);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "/" && !(e.target as HTMLElement).closest("input, textarea, select")) {
        e.preventDefault();
        searchRef.current?.focus();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  const sort = { sort: (params.get("sort") ?? "key") as SortColumn, desc: params.get("order") === "desc" };
  const onSort = (col: SortColumn) => {
    const next = nextSort(sort, col);
    setParams((cur) => {
      const p = new URLSearchParams(cur);
      p.set("sort", next.sort);
      p.set("order", next.desc ? "desc" : "asc");
      return p;
    }, { replace: true });
  };

  const toggle = (row: CatalogRow) => setSelected((cur) => {
    const next = new Map(cur);
    if (next.has(row.key)) next.delete(row.key);
    else next.set(row.key, row);
    return next;
  });
  const toggleAll = (on: boolean) => setSelected((cur) => {
    const next = new Map(cur);
    for (const r of rows) {
      if (on) next.set(r.key, r);
      else next.delete(r.key);
    }
    return next;
  });

  const launchable = useMemo(() => rows.filter((r) => r.is_executable), [rows]);
  const filtered = [...FACET_FILTERS.map(([n]) => n), "q", "status", "stale", "checks"].some((n) => params.get(n));
  const clear = () => {
    setSearch("");
    const p = new URLSearchParams();
    p.set("view", "catalog");
    for (const n of ["sort", "order"]) if (params.get(n)) p.set(n, params.get(n)!);
    setParams(p, { replace: true });
  };

  if (error && !data) return <div className="page"><ErrorBox error={error} title="Could not load the asset catalog" /></div>;

  return (
    <div className="graph-page catalog-page">
      <div className="toolbar" role="toolbar" aria-label="Asset catalog controls">
        <AssetViewSwitch view="catalog" />
        <input ref={searchRef} type="search" placeholder="Search assets  ( / )" aria-label="Search assets" value={search}
          onChange={(e) => setSearch(e.target.value)} onKeyDown={(e) => e.key === "Escape" && setSearch("")} />
        {FACET_FILTERS.map(([name, label]) => (
          <select key={name} aria-label={`Filter by ${label.toLowerCase()}`} value={params.get(name) ?? ""} onChange={(e) => set(name, e.target.value)}>
            <option value="">{label}: all</option>
            {Object.entries(data?.facets[name] ?? {}).map(([v, n]) => <option key={v} value={v}>{v} ({n})</option>)}
          </select>
        ))}
        <select aria-label="Filter by status" value={params.get("status") ?? ""} onChange={(e) => set("status", e.target.value)}>
          <option value="">Status: all</option>
          {STATUSES.map((s) => <option key={s} value={s}>{statusLabel(s)} ({data?.facets.status[s] ?? 0})</option>)}
        </select>
        <select aria-label="Filter by staleness" value={params.get("stale") ?? ""} onChange={(e) => set("stale", e.target.value)}>
          <option value="">Stale or not</option>
          <option value="true">Stale</option>
          <option value="false">Not stale</option>
        </select>
        <select aria-label="Filter by checks" value={params.get("checks") ?? ""} onChange={(e) => set("checks", e.target.value)}>
          <option value="">All checks</option>
          {CHECKS.map(([id, label]) => <option key={id} value={id}>{label}</option>)}
        </select>
        {filtered && <button type="button" className="ghost" onClick={clear}>Clear filters</button>}
        <span className="spacer" />
        <MaterializeButton keys={[...selected.keys()]} assets={selected}
          label={selected.size ? `Materialize selected (${selected.size})` : "Materialize selected"} />
        <MaterializeButton keys={launchable.map((r) => r.key)} assets={launchable} className=""
          label={`Materialize all shown (${launchable.length})`} />
      </div>
      <div className="catalog-body">
        {!data ? <Loading what="the asset catalog" /> : (
          <>
            <p className="muted small" aria-live="polite" data-catalog-count>
              Showing {rows.length.toLocaleString()} of {data.total.toLocaleString()} asset{data.total === 1 ? "" : "s"}
              {data.total !== data.all ? ` matching the filters (${data.all.toLocaleString()} in all)` : ""}
              {selected.size > 0 && <> · {selected.size} selected <button type="button" className="link" onClick={() => setSelected(new Map())}>clear selection</button></>}
            </p>
            {rows.length === 0 ? <div className="empty">{data.all === 0 ? "No assets are defined in the loaded code locations." : "No asset matches these filters."}</div> : (
              <CatalogTable rows={rows} selected={selected} onToggle={toggle} onToggleAll={toggleAll} sort={sort} onSort={onSort} />
            )}
            {data.has_more && (
              <div className="row center">
                <button type="button" disabled={loadingMore} onClick={loadMore}>{loadingMore ? "Loading…" : `Load ${Math.min(PAGE, data.total - rows.length)} more`}</button>
              </div>
            )}
          </>
        )}
      </div>
    </div>
  );
}
