import { z } from "zod";
import { routeRoles } from "../auth/roles";
import { routeGroup } from "../middleware/rate-limit";
import { version } from "../version";
import { errorBody, type Operation, operations, type Reply } from "./operations";

type Json = Record<string, unknown>;

export interface OpenApiDocument {
  openapi: string;
  info: Json;
  paths: Record<string, Record<string, Json>>;
  components: Json;
}

function jsonSchema(schema: z.ZodType, io: "input" | "output"): Json {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    target: "draft-2020-12",
    io,
    unrepresentable: "any",
  });
  return rest;
}

/** hono's `/users/:id{[0-9]+}` is OpenAPI's `/users/{id}`. */
export const openApiPath = (path: string) => path.replace(/:(\w+)(\{[^}]*\})?/g, "{$1}");

const integer = { type: "integer", minimum: 0 };
const limitHeaders = {
  "Retry-After": { description: "Seconds until a request is accepted again", schema: integer },
  "RateLimit-Limit": { description: "Requests allowed in the window", schema: integer },
  "RateLimit-Remaining": { description: "Requests left in the window", schema: integer },
  "RateLimit-Reset": { description: "Seconds until the window starts again", schema: integer },
};

function response(reply: Reply, headers?: Json): Json {
  const type = reply.contentType ?? "application/json";
  const content: Json = {
    [type]: reply.schema ? { schema: jsonSchema(reply.schema, "output") } : {},
  };
  for (const other of reply.otherTypes ?? []) content[other] = {};
  return { description: reply.description, content, ...(headers ? { headers } : {}) };
}

/** The failures every operation of a kind shares, so the table lists only what is particular. */
function commonReplies(key: string, path: string, op: Operation): Record<number, Reply> {
  const failure = (description: string) => ({ description, schema: errorBody });
  const replies: Record<number, Reply> = {};
  if (op.body || op.query) replies[400] = failure("The request does not match its schema");
  if (routeRoles[key]) {
    replies[401] = failure("No token, or a bad or expired one");
    replies[403] = failure("The token's role may not call this route");
  }
  if (op.body) {
    replies[413] = failure("The body is larger than the limit");
    replies[415] = failure("The body's Content-Type is not accepted");
  }
  if (routeGroup(path)) replies[429] = failure("Rate limit reached; see Retry-After");
  return replies;
}

function requestBody(body: z.ZodType, ndjsonLine: z.ZodType | undefined): Json {
  const content: Json = { "application/json": { schema: jsonSchema(body, "input") } };
  if (ndjsonLine) {
    content["application/x-ndjson"] = {
      schema: { type: "string", description: "One JSON object per line, as in x-line-schema" },
      "x-line-schema": jsonSchema(ndjsonLine, "input"),
    };
  }
  return { required: true, content };
}

function operationObject(key: string, op: Operation): Json {
  const [method = "", path = ""] = key.split(" ");
  const roles = routeRoles[key];
  const replies = { ...commonReplies(key, path, op), ...op.replies };
  const responses = Object.fromEntries(
    Object.entries(replies).map(([status, reply]) => [
      status,
      response(reply, status === "429" ? limitHeaders : undefined),
    ]),
  );

  const query = op.query ? jsonSchema(op.query, "input") : undefined;
  const required = new Set((query?.required as string[] | undefined) ?? []);
  const parameters = Object.entries((query?.properties as Json | undefined) ?? {}).map(
    ([name, schema]) => ({ name, in: "query", required: required.has(name), schema }),
  );

  let security: Json[] = [];
  if (roles) security = [{ bearerAuth: [] }];
  else if (key === "GET /metrics") security = [{}, { metricsToken: [] }];

  return {
    operationId: `${method.toLowerCase()}${openApiPath(path).replace(/[^A-Za-z0-9]+/g, "_")}`,
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    tags: [op.tag],
    security,
    ...(roles ? { "x-roles": roles } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(op.body ? { requestBody: requestBody(op.body, op.ndjsonLine) } : {}),
    responses,
  };
}

/** The OpenAPI 3.1 document of every operation in `table`. */
export function openApiDocument(table: Record<string, Operation> = operations): OpenApiDocument {
  const paths: OpenApiDocument["paths"] = {};
  for (const [key, op] of Object.entries(table)) {
    const [method = "", path = ""] = key.split(" ");
    const template = openApiPath(path);
    paths[template] = { ...paths[template], [method.toLowerCase()]: operationObject(key, op) };
  }

  return {
    openapi: "3.1.0",
    info: {
      title: "Auterity Analytics API",
      version,
      description:
        "Analytics queries on ClickHouse and events into Kafka. Every error is JSON: " +
        '{"error","code","requestId"}. Limited routes carry RateLimit-Limit, ' +
        "RateLimit-Remaining and RateLimit-Reset headers.",
    },
    paths,
    components: {
      securitySchemes: {
        bearerAuth: { type: "http", scheme: "bearer", bearerFormat: "JWT" },
        metricsToken: { type: "http", scheme: "bearer", description: "METRICS_TOKEN" },
      },
    },
  };
}
