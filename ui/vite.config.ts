// Builds the UI into the Python package, where the webserver serves it from.
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

export default defineConfig({
  plugins: [react()],
  base: "/",
  build: {
    outDir: "../src/headwater/server/static",
    emptyOutDir: true,
    chunkSizeWarningLimit: 800,
  },
  server: {
    // `npm run dev` proxies the API to a running `headwater dev` (port 3000).
    proxy: { "/api": "http://127.0.0.1:3000" },
  },
});
