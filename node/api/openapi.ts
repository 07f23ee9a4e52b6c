// The OpenAPI 3.1 document of the REST API, generated from the route table and the same zod
// schemas that validate requests (z.toJSONSchema, JSON Schema 2020-12, which OpenAPI 3.1 uses).
// Named schemas (`.meta({ id })`) go to components.schemas and are referenced.
import { z } from 'zod'
import type { Route } from './routes.ts'
import { ErrorBody } from './schemas.ts'

type Json = Record<string, unknown>

const REASONS: Readonly<Record<number, string>> = {
  200: 'OK', 201: 'Created', 202: 'Accepted', 400: 'Invalid request', 401: 'Missing or wrong bearer token', 403: 'This node does not play the role the operation needs',
  404: 'Unknown order, identity or route', 409: 'Not possible in the order\'s current stage', 500: 'Internal error', 503: 'Service not running'
}

/** JSON Schema of `schema`; named sub-schemas are moved to `components` and referenced. */
function schemaOf (schema: z.ZodType, io: 'input' | 'output', components: Json): Json {
  const s = z.toJSONSchema(schema, { io, target: 'draft-2020-12', unrepresentable: 'any' }) as Json
  delete s.$schema
  const defs = s.$defs as Json | undefined
  delete s.$defs
  for (const [name, def] of Object.entries(defs ?? {})) components[name] = rewriteRefs(def)
  return rewriteRefs(s) as Json
}

function rewriteRefs (value: unknown): Json {
  return JSON.parse(JSON.stringify(value).replaceAll('"#/$defs/', '"#/components/schemas/')) as Json
}

function parameters (schema: z.ZodType | undefined, where: 'path' | 'query', components: Json): Json[] {
  if (schema === undefined) return []
  const s = schemaOf(schema, 'input', components)
  const props = (s.properties ?? {}) as Record<string, Json>
  const required = new Set((s.required ?? []) as string[])
  return Object.entries(props).map(([name, p]) => ({
    name,
    in: where,
    required: where === 'path' || required.has(name),
    ...(typeof p.description === 'string' ? { description: p.description } : {}),
    schema: p
  }))
}

export function openApiDocument (routes: readonly Route[], info: { version: string, description: string }): Json {
  const components: Json = {}
  const paths: Record<string, Json> = {}
  const error = schemaOf(ErrorBody, 'output', components)
  for (const r of routes) {
    const path = r.url.replace(/:([A-Za-z]+)/g, '{$1}')
    const responses: Json = {
      [r.status]: { description: REASONS[r.status] ?? 'OK', content: { 'application/json': { schema: schemaOf(r.response, 'output', components) } } }
    }
    for (const status of [...r.errors, ...(r.auth ? [401] : []), 500]) {
      responses[status] = { description: REASONS[status] ?? 'Error', content: { 'application/json': { schema: error } } }
    }
    const op: Json = {
      operationId: r.operationId,
      summary: r.summary,
      parameters: [...parameters(r.params, 'path', components), ...parameters(r.query, 'query', components)],
      responses,
      ...(r.auth ? {} : { security: [] })
    }
    if (r.body !== undefined) op.requestBody = { required: true, content: { 'application/json': { schema: schemaOf(r.body, 'input', components) } } }
    paths[path] = { ...(paths[path] ?? {}), [r.method.toLowerCase()]: op }
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Milagro Server', version: info.version, description: info.description },
    security: [{ bearer: [] }],
    paths: {
      ...paths,
      '/v1/openapi.json': { get: { operationId: 'openapi', summary: 'This document', responses: { 200: { description: 'OK', content: { 'application/json': { schema: { type: 'object' } } } }, 401: { description: REASONS[401], content: { 'application/json': { schema: error } } } } } }
    },
    components: { schemas: components, securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'the token in <home>/api-token' } } }
  }
}
