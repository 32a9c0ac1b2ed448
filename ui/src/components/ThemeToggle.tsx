// The top bar's theme switch: follow the system, or force light or dark; remembered.
import { useEffect, useState } from "react";
import { onThemeChange, resolvedTheme, setTheme, storedTheme, type ThemeChoice } from "../theme";

export function ThemeToggle() {
  const [choice, setChoice] = useState<ThemeChoice>(storedTheme);
  const [system, setSystem] = useState(() => resolvedTheme("system"));
  useEffect(() => onThemeChange(() => {
    setChoice(storedTheme());
    setSystem(resolvedTheme("system"));
  }), []);
  return (
    <select className="theme-toggle" aria-label="Color theme" value={choice}
      title="Light or dark colors; System follows your operating system's setting"
      onChange={(e) => setTheme(e.target.value as ThemeChoice)}>
      <option value="system">System ({system})</option>
      <option value="light">Light</option>
      <option value="dark">Dark</option>
    </select>
  );
}
