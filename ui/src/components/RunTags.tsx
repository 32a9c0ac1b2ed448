// A run's tags as chips that filter the run list. The engine's own tags (headwater/...) are
// folded away unless "Show system tags" is on; the choice is kept in this browser.
import { useEffect, useState } from "react";
import { Link } from "react-router";

const KEY = "headwater.showSystemTags";
const EVENT = "headwater-system-tags";

/** A tag the engine sets (partition, backfill, schedule, ...), not one a person wrote. */
export const isSystemTag = (key: string) => key.startsWith("headwater/");

/** Whether system tags are shown, and a setter shared by every page (and kept across visits). */
export function useShowSystemTags(): [boolean, (on: boolean) => void] {
  const read = () => window.localStorage.getItem(KEY) === "1";
  const [on, setOn] = useState(read);
  useEffect(() => {
    const sync = () => setOn(read());
    window.addEventListener(EVENT, sync);
    window.addEventListener("storage", sync);
    return () => {
      window.removeEventListener(EVENT, sync);
      window.removeEventListener("storage", sync);
    };
  }, []);
  const set = (value: boolean) => {
    window.localStorage.setItem(KEY, value ? "1" : "0");
    window.dispatchEvent(new Event(EVENT));
  };
  return [on, set];
}

export function SystemTagsToggle() {
  const [on, set] = useShowSystemTags();
  return (
    <label className="small system-tags-toggle">
      <input type="checkbox" checked={on} onChange={(e) => set(e.target.checked)} /> Show system tags
    </label>
  );
}

/** The tags to show: never the hidden ".…" ones; headwater/… only when asked. */
export function shownTags(tags: Record<string, string>, showSystem: boolean): [string, string][] {
  return Object.entries(tags).filter(([k]) => !k.startsWith(".") && (showSystem || !isSystemTag(k)));
}

export function RunTags({ tags, limit }: { tags: Record<string, string>; limit?: number }) {
  const [showSystem] = useShowSystemTags();
  const shown = shownTags(tags, showSystem);
  const hidden = Object.keys(tags).filter((k) => !k.startsWith(".") && isSystemTag(k)).length;
  const listed = limit ? shown.slice(0, limit) : shown;
  return (
    <>
      {listed.map(([k, v]) => (
        <Link key={k} className={`chip mono${isSystemTag(k) ? " system-tag" : ""}`} data-tag={k}
          to={`/runs?tag=${encodeURIComponent(`${k}=${v}`)}`} title="Show runs with this tag">{k}={v}</Link>
      ))}
      {limit && shown.length > limit && <span className="muted small">+{shown.length - limit}</span>}
      {!showSystem && hidden > 0 && (
        <span className="muted small" title="Turn on 'Show system tags' to see them">{hidden} system</span>
      )}
    </>
  );
}
