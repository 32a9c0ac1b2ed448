// The notice at the top of a definition's page when its code location failed to load (what
// is shown is its last good definition) or when no loaded location defines it at all (what
// is shown is its stored history, reachable by key).
import { Link } from "react-router";
import type { Location } from "../api";
import { ago, useApi } from "../util";

export function StaleLocationNotice({ location, what }: { location: string; what: string }) {
  const locations = useApi<Location[]>("/api/locations");
  const loc = locations.data?.find((l) => l.name === location);
  return (
    <div className="callout bad location-notice" role="alert" data-notice="stale">
      <b>Code location {location} failed to load</b>
      {loc?.error && <>: <span className="stack-msg">{loc.error.message}</span>{loc.error.file && <span className="mono small"> ({loc.error.file}{loc.error.line ? `:${loc.error.line}` : ""})</span>}</>}.
      <div>
        Showing the last good definition of {what}{loc?.loaded_at ? <> (loaded {ago(loc.loaded_at)})</> : null}; nothing can be launched from it until the code loads again.
        {" "}<Link to="/deployment">Fix the error and reload the location on the Deployment page →</Link>
      </div>
    </div>
  );
}

export function UndefinedAssetNotice({ assetKey }: { assetKey: string }) {
  return (
    <div className="callout warn location-notice" role="note" data-notice="undefined">
      No loaded code location defines <span className="mono">{assetKey}</span>: its stored materializations are shown below, but
      its definition, checks and automation are unknown. <Link to="/deployment">Code locations →</Link>
    </div>
  );
}
