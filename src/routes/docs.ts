import { Hono } from "hono";
import { openApiDocument } from "../openapi/document";
import { docsPage } from "../openapi/page";
import type { AppEnv } from "../types";

/** The document is fixed for the life of the process, so both forms are rendered once. */
export function docsRoutes() {
  const document = openApiDocument();
  const json = JSON.stringify(document);
  const page = docsPage(document);

  return new Hono<AppEnv>()
    .get("/openapi.json", (c) => c.body(json, 200, { "Content-Type": "application/json" }))
    .get("/docs", (c) => {
      // The page needs only its own inline style; nothing else may load or run on it.
      c.header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'");
      return c.html(page);
    });
}
