// The color theme: light, dark, or following the system (prefers-color-scheme), the choice kept
// in this browser. The resolved theme is written to <html data-theme> before the first render
// (no flash of the wrong colors) and again whenever the system's preference changes.
export type ThemeChoice = "system" | "light" | "dark";

const KEY = "headwater.theme";
const EVENT = "headwater-theme";
const DARK = "(prefers-color-scheme: dark)";

export function storedTheme(): ThemeChoice {
  const value = window.localStorage.getItem(KEY);
  return value === "light" || value === "dark" ? value : "system";
}

export function resolvedTheme(choice: ThemeChoice = storedTheme()): "light" | "dark" {
  if (choice !== "system") return choice;
  return window.matchMedia?.(DARK).matches ? "dark" : "light";
}

function apply(): void {
  const theme = resolvedTheme();
  document.documentElement.dataset.theme = theme;
  document.documentElement.style.colorScheme = theme;
  window.dispatchEvent(new Event(EVENT));
}

export function setTheme(choice: ThemeChoice): void {
  if (choice === "system") window.localStorage.removeItem(KEY);
  else window.localStorage.setItem(KEY, choice);
  apply();
}

/** Apply the stored choice now and follow the system's preference from here on. */
export function initTheme(): void {
  apply();
  window.matchMedia?.(DARK).addEventListener("change", apply);
  window.addEventListener("storage", (e) => e.key === KEY && apply());
}

/** Call `listener` whenever the resolved theme may have changed. */
export function onThemeChange(listener: () => void): () => void {
  window.addEventListener(EVENT, listener);
  return () => window.removeEventListener(EVENT, listener);
}
