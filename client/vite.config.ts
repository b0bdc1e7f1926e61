import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

/** The API that `npm run dev` forwards to; the production server serves this build itself. */
const apiOrigin = "http://127.0.0.1:3000";

export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  server: {
    proxy: {
      // Subscriptions too: the tab's WebSocket is forwarded as one upgraded connection.
      "/trpc": { target: apiOrigin, ws: true },
      "/health": apiOrigin,
      "/auth": apiOrigin,
      "/login": apiOrigin,
      "/images": apiOrigin,
    },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
  },
});
