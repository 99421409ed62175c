// The spec side of conformance.mjs: operations by method and path template, and minimal valid
// arguments for a method built from its operation's parameters and request schema.

const METHODS = ["get", "post", "put", "patch", "delete"];

/** Operations of an OpenAPI document, with a matcher from (METHOD, path) to an operation. */
export function compileSpec(document) {
  const operations = [];
  for (const [template, item] of Object.entries(document.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const params = [...(item.parameters ?? []), ...(op.parameters ?? [])].map((p) => resolve(document, p));
      const names = [];
      const pattern = template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{([^}]+)\}/g, (_, name) => {
        names.push(name);
        return "([^/]+)";
      });
      const content = resolve(document, op.requestBody ?? {}).content ?? {};
      const contentType = Object.keys(content)[0] ?? null;
      operations.push({
        id: op.operationId,
        method: method.toUpperCase(),
        template,
        regex: new RegExp(`^${pattern}$`),
        names,
        literals: template.split("/").filter((s) => s && !s.startsWith("{")).length,
        path: params.filter((p) => p.in === "path"),
        query: params.filter((p) => p.in === "query"),
        contentType,
        bodySchema: contentType ? content[contentType].schema : null,
        multipart: contentType === "multipart/form-data",
      });
    }
  }
  return {
    document,
    operations,
    /** An operation whose template fits `path` where `undefined` segments stand for any value. */
    matchLoose(_method, path) {
      const segments = path.split("/");
      return (
        operations.find((op) => {
          const parts = op.template.split("/");
          return parts.length === segments.length && parts.every((part, i) => part.startsWith("{") || part === segments[i]);
        }) ?? null
      );
    },
    /** The operation for a request, or null when the spec lacks it. */
    match(method, path) {
      let best = null;
      for (const op of operations) {
        if (op.method !== method || !op.regex.test(path)) continue;
        if (!best || op.literals > best.literals) best = op;
      }
      return best;
    },
  };
}

/** Every path-parameter name in the spec: the keys a method may read from its params. */
export function pathParamNames(spec) {
  return new Set(spec.operations.flatMap((op) => op.names));
}

function resolve(document, node) {
  let current = node;
  for (let hops = 0; current && typeof current === "object" && typeof current.$ref === "string" && hops < 32; hops++) {
    const pointer = current.$ref.replace(/^#\//, "").split("/").map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
    current = pointer.reduce((at, key) => at?.[key], document);
  }
  return current ?? {};
}

/** An id-like value for a path parameter called `name` (`fileID`, `vector_store_id`). */
function idFor(name, operation) {
  // Only fine-tuned models can be deleted; every other use of a model id takes a base model.
  if (name === "model") return operation?.method === "DELETE" ? "ft:gpt-4o-mini:conformance::abc123" : "gpt-4o-mini";
  const base = String(name).replace(/(_id|ID|Id)$/, "").replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();
  return `${base || "id"}_conformance1`;
}

/** The real call's arguments for a method whose probe made the request `first`. */
export function buildArgs({ names, probeArgs, params, first, operation, spec, files, extra = {} }) {
  const args = [...probeArgs];
  const keys = {};
  for (const segment of first.path.split("/")) {
    const positional = /^__p(\d+)__$/.exec(segment);
    if (positional) args[Number(positional[1])] = undefined; // filled below from its name
    const keyed = /^__k_(.+)__$/.exec(segment);
    if (keyed) keys[keyed[1]] = idFor(keyed[1], operation);
  }
  const generated = operation ? requestFields(spec, operation, files) : {};
  return names.map((name, index) => {
    const probe = probeArgs[index];
    if (typeof probe === "string" && /^__p\d+__$/.test(probe)) return idFor(name, operation);
    if (probe === params) return { ...generated, ...extra, ...keys };
    return args[index];
  });
}

/** Required query parameters plus the required fields of the request body. */
function requestFields(spec, operation, files) {
  const out = {};
  for (const param of operation.query) {
    if (param.required) out[param.name] = instance(spec.document, param.schema ?? {}, param.name, { files, operation, depth: 0 });
  }
  if (operation.bodySchema && operation.contentType !== "application/sdp") {
    const body = instance(spec.document, operation.bodySchema, "", { files, operation, depth: 0 });
    if (body && typeof body === "object" && !Array.isArray(body)) Object.assign(out, body);
  }
  return out;
}

/** Merges an `allOf` into one object schema. */
function merged(document, schemas) {
  const out = { type: "object", properties: {}, required: [] };
  for (const part of schemas.map((s) => flatten(document, s))) {
    Object.assign(out.properties, part.properties ?? {});
    out.required.push(...(part.required ?? []));
    for (const key of ["enum", "const", "format", "items", "minItems", "minimum", "default", "anyOf", "oneOf"]) {
      if (part[key] !== undefined) out[key] = part[key];
    }
    if (part.type && part.type !== "object") out.type = part.type;
  }
  return out;
}

function flatten(document, schema) {
  const resolved = resolve(document, schema);
  return resolved.allOf ? merged(document, resolved.allOf) : resolved;
}

function typeOf(schema) {
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
  if (type) return type;
  if (schema.properties) return "object";
  if (schema.items) return "array";
  return undefined;
}

/** A minimal instance of `schema`: required properties only, first usable union branch. */
function instance(document, schema, name, context) {
  const s = flatten(document, schema);
  if (context.depth > 24) return null;
  const deeper = { ...context, depth: context.depth + 1 };
  if (s.const !== undefined) return s.const;
  if (Array.isArray(s.enum) && s.enum.some((v) => v !== null)) return s.enum.find((v) => v !== null);
  const union = s.anyOf ?? s.oneOf;
  if (union && !s.properties) {
    const branches = union.map((b) => flatten(document, b)).filter((b) => typeOf(b) !== "null" && b.type !== "null");
    // A concrete enum value beats a free string (model ids), and a string beats other shapes.
    const pick = branches.find((b) => Array.isArray(b.enum)) ?? branches.find((b) => typeOf(b) === "string") ?? branches[0];
    return pick ? instance(document, pick, name, deeper) : null;
  }
  switch (typeOf(s)) {
    case "object": {
      const out = {};
      for (const key of s.required ?? []) {
        out[key] = instance(document, s.properties?.[key] ?? {}, key, deeper);
      }
      return out;
    }
    case "array": {
      const count = Math.max(1, s.minItems ?? 1);
      return Array.from({ length: count }, () => instance(document, s.items ?? {}, name, deeper));
    }
    case "integer":
    case "number":
      return s.default ?? s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : 1);
    case "boolean":
      return s.default ?? false;
    case "string":
      if (s.format === "binary") return context.files.forField(context.operation.template, name);
      if (typeof s.default === "string" && s.default !== "") return s.default;
      if (typeof s.example === "string" && s.example !== "") return s.example;
      return stringFor(name);
    default:
      return stringFor(name);
  }
}

/** A plausible string for a field called `name`. */
function stringFor(name) {
  if (name === "model") return "gpt-4o-mini";
  if (/(^|_)id$/.test(name)) return idFor(name);
  if (/url$/.test(name)) return "https://example.com/conformance";
  return "Hello from the openai-node conformance run.";
}
