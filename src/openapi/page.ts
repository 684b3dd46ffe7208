import type { OpenApiDocument } from "./document";

type Json = Record<string, unknown>;

const html = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (char) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[char] ?? "",
  );

const schemaBlock = (label: string, schema: unknown) =>
  `<details><summary>${html(label)}</summary><pre>${html(
    JSON.stringify(schema, null, 2),
  )}</pre></details>`;

function parametersHtml(parameters: Json[] | undefined): string {
  if (!parameters?.length) return "";
  const rows = parameters.map(
    (p) =>
      `<tr><td><code>${html(String(p.name))}</code></td><td>${p.required ? "yes" : "no"}</td>` +
      `<td><code>${html(JSON.stringify(p.schema))}</code></td></tr>`,
  );
  const head = "<tr><th>name</th><th>required</th><th>schema</th></tr>";
  return `<h4>Query parameters</h4><table>${head}${rows.join("")}</table>`;
}

function responsesHtml(responses: Record<string, Json>): string {
  const items = Object.entries(responses).map(([status, reply]) => {
    const content = Object.entries((reply.content as Record<string, Json> | undefined) ?? {});
    const schemas = content
      .filter(([, media]) => media.schema)
      .map(([type, media]) => schemaBlock(`${type} schema`, media.schema));
    return `<li><b>${html(status)}</b> ${html(String(reply.description))}${schemas.join("")}</li>`;
  });
  return `<h4>Responses</h4><ul>${items.join("")}</ul>`;
}

function operationHtml(method: string, path: string, op: Json): string {
  const roles = op["x-roles"] as string[] | undefined;
  const security = (op.security as Json[] | undefined) ?? [];
  let access = "anyone";
  if (roles) access = `bearer token; roles: ${roles.join(", ")}`;
  else if (security.some((entry) => "metricsToken" in entry)) access = "anyone, or METRICS_TOKEN";
  const body = (op.requestBody as { content?: Record<string, Json> } | undefined)?.content;
  const bodies = Object.entries(body ?? {}).map(([type, media]) =>
    schemaBlock(`${type} schema`, media["x-line-schema"] ?? media.schema),
  );

  return `<section id="${html(String(op.operationId))}">
<h3><span class="method ${html(method)}">${html(method.toUpperCase())}</span>
<code>${html(path)}</code></h3>
<p>${html(String(op.summary))}</p>
${op.description ? `<p>${html(String(op.description))}</p>` : ""}
<p class="access">Who: ${html(access)}</p>
${parametersHtml(op.parameters as Json[] | undefined)}
${bodies.length > 0 ? `<h4>Request body</h4>${bodies.join("")}` : ""}
${responsesHtml(op.responses as Record<string, Json>)}
</section>`;
}

const style = `body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;
padding:0 1rem;color:#222}
code,pre{font-family:ui-monospace,monospace}pre{background:#f5f5f5;padding:.75rem;overflow:auto}
section{border-top:1px solid #ddd;padding:.5rem 0}.method{display:inline-block;min-width:4rem;
padding:0 .4rem;border-radius:3px;color:#fff;background:#555;text-align:center}.get{background:#2a7}
.post{background:#27c}.access{color:#555}table{border-collapse:collapse}td,th{border:1px solid #ddd;
padding:.2rem .5rem;text-align:left}`;

/** A readable page of the document, with no script and nothing loaded from elsewhere. */
export function docsPage(document: OpenApiDocument): string {
  const info = document.info as { title: string; version: string; description?: string };
  const entries = Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ method, path, op })),
  );
  const index = entries.map(
    ({ method, path, op }) =>
      `<li><a href="#${html(String(op.operationId))}">${html(method.toUpperCase())} ` +
      `${html(path)}</a>: ${html(String(op.summary))}</li>`,
  );
  const sections = entries.map(({ method, path, op }) => operationHtml(method, path, op));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${html(info.title)} ${html(info.version)}</title><style>${style}</style></head>
<body><h1>${html(info.title)} <small>${html(info.version)}</small></h1>
<p>${html(info.description ?? "")}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a>
(OpenAPI ${html(document.openapi)}).</p>
<ul>${index.join("\n")}</ul>
${sections.join("\n")}
</body></html>
`;
}
