// Short-lived notices after an action ("Run 1a2b3c launched").
import { createContext, useCallback, useContext, useState, type ReactNode } from "react";

export interface Toast { id: number; tone: "ok" | "bad" | "info"; body: ReactNode }

const Ctx = createContext<(tone: Toast["tone"], body: ReactNode) => void>(() => {});

export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const push = useCallback((tone: Toast["tone"], body: ReactNode) => {
    const id = Date.now() + Math.random();
    setToasts((t) => [...t, { id, tone, body }]);
    window.setTimeout(() => setToasts((t) => t.filter((x) => x.id !== id)), tone === "bad" ? 9000 : 5000);
  }, []);
  return (
    <Ctx.Provider value={push}>
      {children}
      <div className="toasts" role="status" aria-live="polite">
        {toasts.map((t) => (
          <div key={t.id} className={`toast ${t.tone}`}>
            {t.body}
            <button type="button" className="link" aria-label="Dismiss"
              onClick={() => setToasts((all) => all.filter((x) => x.id !== t.id))}>×</button>
          </div>
        ))}
      </div>
    </Ctx.Provider>
  );
}

export const useToast = () => useContext(Ctx);
