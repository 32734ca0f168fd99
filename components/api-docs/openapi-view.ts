/**
 * Pure helpers of the API reference page: read an OpenAPI 3.1 document (GET /api/v1/openapi.json) into what the
 * page renders, and build the URL a "try it" sends. No React, no fetch: tested on their own.
 */

export type JsonSchema = {
  $ref?: string;
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  additionalProperties?: boolean | JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  description?: string;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  pattern?: string;
};

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  description?: string;
  schema?: JsonSchema;
}

interface MediaObject {
  schema?: JsonSchema;
}

interface OperationObject {
  operationId?: string;
  summary?: string;
  description?: string;
  tags?: string[];
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content?: Record<string, MediaObject> };
  responses?: Record<string, { description?: string; content?: Record<string, MediaObject> }>;
  security?: Array<Record<string, string[]>>;
  'x-permission'?: string;
}

export interface OpenApiDoc {
  openapi: string;
  info?: { title?: string; version?: string; description?: string };
  paths?: Record<string, Record<string, OperationObject>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

export interface ViewOperation {
  id: string;
  method: string;
  path: string;
  summary: string;
  description: string;
  permission: string | null;
  public: boolean;
  parameters: Parameter[];
  body: { required: boolean; schema: JsonSchema | undefined } | null;
  responses: Array<{ status: string; description: string; mediaTypes: string[]; schema: JsonSchema | undefined }>;
}

export interface ViewTag {
  name: string;
  operations: ViewOperation[];
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/** The document's operations grouped by their first tag, in the document's order; `filter` matches path or summary. */
export function operationsByTag(doc: OpenApiDoc, filter = ''): ViewTag[] {
  const needle = filter.trim().toLowerCase();
  const tags = new Map<string, ViewOperation[]>();
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const view: ViewOperation = {
        id: op.operationId ?? `${method} ${path}`,
        method: method.toUpperCase(),
        path,
        summary: op.summary ?? '',
        description: op.description ?? '',
        permission: op['x-permission'] ?? null,
        public: Array.isArray(op.security) && op.security.length === 0,
        parameters: op.parameters ?? [],
        body: op.requestBody ? { required: op.requestBody.required ?? false, schema: op.requestBody.content?.['application/json']?.schema } : null,
        responses: Object.entries(op.responses ?? {}).map(([status, r]) => ({
          status,
          description: r.description ?? '',
          mediaTypes: Object.keys(r.content ?? {}),
          schema: Object.values(r.content ?? {})[0]?.schema,
        })),
      };
      const haystack = `${view.method} ${path} ${view.summary} ${view.permission ?? ''}`.toLowerCase();
      if (needle && !haystack.includes(needle)) continue;
      const tag = op.tags?.[0] ?? 'Other';
      tags.set(tag, [...(tags.get(tag) ?? []), view]);
    }
  }
  return [...tags].map(([name, operations]) => ({ name, operations }));
}

/** `#/components/schemas/Run` → `Run`; null for anything else. */
export function refName(ref: string | undefined): string | null {
  const m = /^#\/components\/schemas\/(.+)$/.exec(ref ?? '');
  return m ? m[1]! : null;
}

/**
 * A schema as a few lines of TypeScript-like text: `{ id: string (uuid); status: "QUEUED" | … }`. References are
 * expanded `depth` levels deep and shown by name beyond that (and when they recur, so cycles end).
 */
export function schemaText(schema: JsonSchema | undefined, doc: OpenApiDoc, depth = 2, indent = '', seen: string[] = []): string {
  if (!schema) return 'unknown';
  const name = refName(schema.$ref);
  if (name) {
    const target = doc.components?.schemas?.[name];
    if (!target || depth <= 0 || seen.includes(name)) return name;
    return schemaText(target, doc, depth - 1, indent, [...seen, name]);
  }
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return alternatives.map((s) => schemaText(s, doc, depth, indent, seen)).join(' | ');
  if (schema.allOf) return schema.allOf.map((s) => schemaText(s, doc, depth, indent, seen)).join(' & ');
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  if (types.length === 1 && types[0] === 'null') return 'null';
  const nullable = types.includes('null');
  const type = types.find((t) => t !== 'null');
  let text: string;
  if (type === 'array') text = `${wrap(schemaText(schema.items, doc, depth, indent, seen))}[]`;
  else if (type === 'object' || schema.properties) {
    const props = Object.entries(schema.properties ?? {});
    if (props.length === 0) {
      const values = typeof schema.additionalProperties === 'object' ? schemaText(schema.additionalProperties, doc, depth, indent, seen) : 'unknown';
      text = `{ [key: string]: ${values} }`;
    } else {
      const inner = `${indent}  `;
      const lines = props.map(([key, value]) => {
        const optional = schema.required?.includes(key) ? '' : '?';
        return `${inner}${key}${optional}: ${schemaText(value, doc, depth, inner, seen)}`;
      });
      text = `{\n${lines.join('\n')}\n${indent}}`;
    }
  } else if (type) text = schema.format ? `${type} (${schema.format})` : type;
  else text = 'any';
  return nullable ? `${text} | null` : text;
}

const wrap = (s: string) => (s.includes(' | ') || s.includes(' & ') ? `(${s})` : s);

/**
 * The URL a "try it" sends: path parameters filled in (encoded), non-empty query values appended. Null (with the
 * missing names) while a path parameter is empty.
 */
export function tryUrl(path: string, values: Record<string, string>, parameters: Parameter[]): { url: string } | { missing: string[] } {
  const missing = parameters.filter((p) => p.in === 'path' && !values[p.name]?.trim()).map((p) => p.name);
  if (missing.length > 0) return { missing };
  const filled = path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(values[name]!.trim()));
  const query = new URLSearchParams();
  for (const p of parameters) {
    const v = values[p.name]?.trim();
    if (p.in === 'query' && v) query.set(p.name, v);
  }
  const qs = query.toString();
  return { url: qs ? `${filled}?${qs}` : filled };
}
