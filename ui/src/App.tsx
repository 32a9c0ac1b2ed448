// The frame of every page: top navigation, keyboard shortcuts, routes.
import { useEffect, useRef } from "react";
import { NavLink, Navigate, Route, Routes, useNavigate } from "react-router";
import type { Location } from "./api";
import { AssetsPage } from "./pages/Assets";
import { AssetPage } from "./pages/asset/AssetPage";
import { AutomationPage, InstigatorPage } from "./pages/Automation";
import { BackfillPage, BackfillsPage } from "./pages/Backfills";
import { DeploymentPage } from "./pages/Deployment";
import { JobPage, JobsPage } from "./pages/Jobs";
import { OverviewPage } from "./pages/Overview";
import { RunPage } from "./pages/RunPage";
import { RunsPage } from "./pages/Runs";
import { ThemeToggle } from "./components/ThemeToggle";
import { ConnectionBanner, ReadOnlyChip, ServerProvider } from "./server";
import { ToastProvider } from "./toast";
import { useApi, userZone } from "./util";

const NAV: [string, string, string][] = [
  ["/overview", "Overview", "o"],
  ["/assets", "Assets", "a"],
  ["/runs", "Runs", "r"],
  ["/backfills", "Backfills", "b"],
  ["/jobs", "Jobs", "j"],
  ["/automation", "Automation", "s"],
  ["/deployment", "Deployment", "d"],
];

function useGoShortcuts() {
  const navigate = useNavigate();
  const pendingG = useRef(0);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const el = e.target as HTMLElement;
      if (el.closest("input, textarea, select, [contenteditable]") || e.metaKey || e.ctrlKey || e.altKey) return;
      if (e.key === "g") {
        pendingG.current = Date.now();
        return;
      }
      if (Date.now() - pendingG.current < 1200) {
        const hit = NAV.find(([, , k]) => k === e.key);
        pendingG.current = 0;
        if (hit) navigate(hit[0]);
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [navigate]);
}

function LocationHealth() {
  const { data } = useApi<Location[]>("/api/locations", 15000);
  const broken = (data ?? []).filter((l) => l.status !== "loaded");
  if (!broken.length) return null;
  return (
    <NavLink to="/deployment" className="nav-alert"
      title={`${broken.map((l) => l.name).join(", ")} failed to load${broken.some((l) => l.stale) ? ": their last good definitions are shown, marked stale, and nothing can be launched from them" : ""}`}>
      {broken.length} location{broken.length > 1 ? "s" : ""} failed to load
    </NavLink>
  );
}

export function App() {
  useGoShortcuts();
  return (
    <ServerProvider>
      <ToastProvider>
        <a className="skip-link" href="#main">Skip to content</a>
        <nav className="topnav" aria-label="Main">
          <NavLink to="/assets" className="brand" aria-label="headwater home">
            <svg viewBox="0 0 32 32" width="22" height="22" aria-hidden>
              <rect width="32" height="32" rx="7" fill="#1f4e79" />
              <path d="M6 20c4-6 8-6 10-2s6 4 10-2" fill="none" stroke="#7fd1ff" strokeWidth="3" strokeLinecap="round" />
            </svg>
            headwater
          </NavLink>
          {NAV.map(([to, label, key]) => (
            <NavLink key={to} to={to} className="navlink" title={`${label} (g then ${key})`}>{label}</NavLink>
          ))}
          <span className="spacer" />
          <ReadOnlyChip />
          <LocationHealth />
          <ThemeToggle />
          <span className="muted small" title="Times are shown in this time zone">{userZone()}</span>
        </nav>
        <ConnectionBanner />
        <main id="main">
          <Routes>
            <Route path="/" element={<Navigate to="/assets" replace />} />
            <Route path="/assets" element={<AssetsPage />} />
            <Route path="/assets/*" element={<AssetPage />} />
            <Route path="/overview" element={<OverviewPage />} />
            <Route path="/runs" element={<RunsPage />} />
            <Route path="/runs/:runId" element={<RunPage />} />
            <Route path="/backfills" element={<BackfillsPage />} />
            <Route path="/backfills/:backfillId" element={<BackfillPage />} />
            <Route path="/jobs" element={<JobsPage />} />
            <Route path="/jobs/:name" element={<JobPage />} />
            <Route path="/automation" element={<AutomationPage />} />
            <Route path="/schedules/:name" element={<InstigatorPage kind="schedules" />} />
            <Route path="/sensors/:name" element={<InstigatorPage kind="sensors" />} />
            <Route path="/deployment" element={<DeploymentPage />} />
            <Route path="*" element={<div className="page"><h1>Not found</h1><p>No page lives at this address. <NavLink to="/assets">Go to the asset graph</NavLink>.</p></div>} />
          </Routes>
        </main>
      </ToastProvider>
    </ServerProvider>
  );
}
