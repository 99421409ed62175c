// Calls every resource method of the installed openai-node client against a running
// openai-mock, with arguments built from the spec the mock serves at GET /openapi.json.
//
// How a method is tied to its operation: each method is first called once in "probe" mode,
// where the client's fetch records the request's method and path and fails it without sending.
// That path is matched against the spec's path templates; the matched operation's request
// schema then gives the real call's required body and query fields, and its path parameters
// tell which positional argument or `params` key carries which id.
//
// A method passes when every request it made got a 2xx and the SDK returned (and, for streams
// and binary answers, consumed) the result without throwing. A request whose method and path
// the spec lacks must instead get the 404 envelope `Invalid URL (METHOD /v1/path)`.
//
// Usage: node conformance.mjs BASE_URL   (BASE_URL like http://127.0.0.1:4010; /v1 is added)
// Methods listed in conformance-gaps.json fail for a recorded mock gap: they are reported and
// do not fail the run, but a listed method that passes does (so the list only shrinks).
//
// Prints one JSON line per failure, then one JSON summary line; exit status 1 on any failure
// outside the recorded gaps.
import { AsyncLocalStorage } from "node:async_hooks";
import crypto from "node:crypto";
import OpenAI, { APIError, toFile } from "openai";
import { readFileSync } from "node:fs";
import { makeFiles } from "./conformance-files.mjs";
import { buildArgs, compileSpec, pathParamNames } from "./conformance-spec.mjs";

const root = process.argv[2]?.replace(/\/$/, "");
if (!root) {
  console.error("usage: node conformance.mjs BASE_URL");
  process.exit(2);
}
const baseURL = `${root}/v1`;
const WEBHOOK_SECRET = "whsec_" + Buffer.from("openai-mock conformance secret").toString("base64");

/** Methods that fail for a recorded mock gap (conformance-gaps.json), by name. */
const GAPS = JSON.parse(readFileSync(new URL("./conformance-gaps.json", import.meta.url), "utf8")).gaps;

/** How long one method may take, polling helpers included. */
const METHOD_LIMIT_MS = 10_000;

/** The probe's failure, told apart from real transport errors. */
class Probed extends Error {}

/** Requests are recorded into the log of the method call they belong to (async context). */
const calls = new AsyncLocalStorage();

async function recordingFetch(input, init) {
  const request = new Request(input, init);
  const url = new URL(request.url);
  // The SDK fetches a `data:` URL to learn whether this fetch supports FormData.
  if (url.protocol === "data:") return fetch(input, init);
  const call = calls.getStore();
  const entry = { method: request.method, path: url.pathname, search: url.search };
  if (!call) throw new Error(`request outside a method call: ${entry.method} ${entry.path}`);
  call.log.push(entry);
  if (call.probing) throw new Probed(`${entry.method} ${entry.path}`);
  const response = await fetch(input, init);
  entry.status = response.status;
  return response;
}

const client = new OpenAI({
  apiKey: "sk-conformance",
  adminAPIKey: "sk-admin-conformance",
  webhookSecret: WEBHOOK_SECRET,
  baseURL,
  maxRetries: 0,
  timeout: 30_000,
  fetch: recordingFetch,
});

/** Parameter names of a function, from its source (`a, { b, c = 1 } = {}, d = 2`). */
function parameterNames(fn) {
  const source = fn.toString();
  const open = source.indexOf("(");
  let depth = 0;
  let end = open;
  for (; end < source.length; end++) {
    const ch = source[end];
    if ("([{".includes(ch)) depth++;
    else if (")]}".includes(ch) && --depth === 0) break;
  }
  const list = source.slice(open + 1, end);
  const names = [];
  let current = "";
  depth = 0;
  for (const ch of list + ",") {
    if ("([{".includes(ch)) depth++;
    if (")]}".includes(ch)) depth--;
    if (ch === "," && depth === 0) {
      const text = current.trim();
      if (text) names.push(text.startsWith("{") ? text.slice(0, text.lastIndexOf("}") + 1) : text.split("=")[0].trim());
      current = "";
    } else current += ch;
  }
  return names;
}

/** Every method of every resource reachable from the client: [{name, resource, method}]. */
function resourceMethods(target, prefix = "", out = []) {
  for (const [key, value] of Object.entries(target)) {
    if (key.startsWith("_") || !value || typeof value !== "object" || !("_client" in value)) continue;
    resourceMethods(value, prefix ? `${prefix}.${key}` : key, out);
  }
  if (!prefix) return out;
  const seen = new Set();
  for (let proto = Object.getPrototypeOf(target); proto && proto.constructor.name !== "APIResource"; proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name === "constructor" || name.startsWith("_") || seen.has(name) || typeof target[name] !== "function") continue;
      seen.add(name);
      out.push({ name: `${prefix}.${name}`, resource: target, method: name });
    }
  }
  return out;
}

/** Settles with `promise`, or rejects once `ms` pass (a helper that never stops polling). */
function within(ms, promise) {
  let timer;
  const limit = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

const trace = process.env.CONFORMANCE_TRACE ? (line) => console.error(line) : () => {};

/** Awaits what a method returned and reads it to its end (streams, runners, binary bodies). */
async function consume(result) {
  let value = result;
  if (value && typeof value.then === "function") value = await value;
  if (value && typeof value.done === "function" && typeof value.on === "function") {
    await value.done(); // chat/assistant/response stream runners
  } else if (value instanceof Response) {
    await value.arrayBuffer();
  } else if (value && typeof value.getPaginatedItems === "function") {
    value.getPaginatedItems(); // one page: generated cursors may never end
  } else if (value && typeof value[Symbol.asyncIterator] === "function") {
    for await (const _event of value);
  }
  return value;
}

/** A header set that `webhooks.unwrap` accepts for `payload`. */
function signedWebhook(payload) {
  const id = "msg_conformance";
  const timestamp = String(Math.floor(Date.now() / 1000));
  const key = Buffer.from(WEBHOOK_SECRET.slice("whsec_".length), "base64");
  const signature = crypto.createHmac("sha256", key).update(`${id}.${timestamp}.${payload}`).digest("base64");
  return { "webhook-id": id, "webhook-timestamp": timestamp, "webhook-signature": `v1,${signature}` };
}

/** Values for helper-only parameters the spec cannot describe. */
function helperValue(name, files) {
  switch (name) {
    case "payload":
      return WEBHOOK_PAYLOAD;
    case "file":
      return files.document();
    case "{ files, fileIds = [] }":
      return { files: [files.document()], fileIds: [] };
    case "{ pollInterval = 5000, maxWait = 30 * 60 * 1000 }":
      return { pollInterval: 1, maxWait: 10_000 };
    default:
      return undefined;
  }
}

const WEBHOOK_PAYLOAD = JSON.stringify({
  id: "evt_conformance",
  object: "event",
  created_at: 1_700_000_000,
  type: "response.completed",
  data: { id: "resp_conformance" },
});

/** Polling helpers run on a client whose requests the rules file answers with a final status. */
const POLLING = /poll|Poll|waitForProcessing/;
const pollClient = client.withOptions({ defaultHeaders: { "x-conformance-poll": "true" } });

/** The resource at a dotted path (`vectorStores.files`) of a client. */
function resourceAt(target, dotted) {
  return dotted.split(".").reduce((at, key) => at[key], target);
}

/** Runs `thunk` as one method call: its requests, what it threw, within the time limit. */
async function call(probing, thunk) {
  const context = { log: [], probing };
  let error = null;
  try {
    await calls.run(context, () => within(METHOD_LIMIT_MS, consume(thunk())));
  } catch (thrown) {
    error = thrown;
  }
  return { log: context.log, error };
}

/**
 * Probes a method: positional ids become `__pN__`, and a params object hands out `__k_<key>__`
 * for the path keys read from it. A helper that copies its params (`{...params}`) loses those,
 * so when the SDK refuses the resulting path the keys it lacked are added as own keys and the
 * probe is repeated. Returns the probe arguments and the first request, if any.
 */
async function probe(fn, resource, names, keyNames, spec, files) {
  const own = {};
  for (let attempt = 0; attempt < 4; attempt++) {
    const params = new Proxy(own, {
      get: (target, key) => (key in target || typeof key !== "string" || !keyNames.has(key) ? target[key] : `__k_${key}__`),
    });
    const args = names.map((param, index) => {
      if (param === "options") return undefined;
      const helper = helperValue(param, files);
      if (helper !== undefined) return helper;
      if (/^(body|params|query)$/.test(param)) return params;
      return `__p${index}__`;
    });
    const { log, error } = await call(true, () => fn.apply(resource, args));
    if (log.length) return { args, params, first: log[0] };
    const refused = /invalid segments:[\s\S]*\n(\/\S*)\n/.exec(String(error?.message));
    const op = refused && spec.matchLoose("", refused[1].replace(/^\/v1(?=\/)/, ""));
    if (!op) return { args, params, first: null, error };
    const segments = refused[1].replace(/^\/v1(?=\/)/, "").split("/");
    op.template.split("/").forEach((part, index) => {
      const name = /^\{(.+)\}$/.exec(part)?.[1];
      if (name && segments[index] === "undefined") own[name] = `__k_${name}__`;
    });
  }
  return { args: [], first: null };
}

/** Extra body fields a helper needs beyond its operation's schema. */
function helperFields(method) {
  if (method !== "runTools") return {};
  const noop = { name: "noop", description: "Does nothing.", parameters: { type: "object", properties: {} }, function: () => "done" };
  return { tools: [{ type: "function", function: noop }] };
}

async function main() {
  const specResponse = await fetch(`${root}/openapi.json`);
  if (!specResponse.ok) throw new Error(`GET /openapi.json: ${specResponse.status}`);
  const spec = compileSpec(await specResponse.json());
  const keyNames = pathParamNames(spec);
  const files = await makeFiles();
  const methods = resourceMethods(client);
  const summary = { methods: methods.length, called: 0, passed: 0, spec_less: 0, local: 0, requests: 0, multipart: 0, failed: 0 };
  const failures = [];
  const seenOperations = new Set();
  const firstOf = new Map(); // resource path -> the first request of its `create`

  for (const { name, resource: plain, method } of methods) {
    const prefix = name.slice(0, name.lastIndexOf("."));
    const resource = POLLING.test(method) ? resourceAt(pollClient, prefix) : plain;
    const fn = resource[method];
    const names = parameterNames(fn);
    summary.called++;
    if (method === "unwrap" || method === "verifySignature") {
      // Webhook helpers check a signature locally and send nothing.
      const { log, error } = await call(false, async () => {
        const result = await resource[method](WEBHOOK_PAYLOAD, signedWebhook(WEBHOOK_PAYLOAD));
        if (method === "unwrap" && result?.id !== "evt_conformance") throw new Error(`unwrapped ${JSON.stringify(result)}`);
      });
      if (error || log.length) failures.push({ method: name, error: error ? String(error) : "sent a request" });
      else {
        summary.local++;
        summary.passed++;
      }
      continue;
    }

    let { args: probeArgs, params, first, error: probeError } = await probe(fn, resource, names, keyNames, spec, files);
    if (method === "create" && first) firstOf.set(prefix, first);
    // Helpers that build their request from the body first (stream, parse, runTools) fail the
    // probe's empty body before sending; they send their resource's `create` request.
    if (!first && firstOf.has(prefix)) first = firstOf.get(prefix);
    if (!first) {
      failures.push({ method: name, error: `made no request in the probe (parameters: ${names.join(", ")}): ${probeError}` });
      continue;
    }

    const operation = spec.match(first.method, first.path.replace(/^\/v1(?=\/)/, ""));
    const args = buildArgs({ names, probeArgs, params, first, operation, spec, files, extra: helperFields(method) });
    const { log: made, error: thrown } = await call(false, () => fn.apply(resource, args));
    summary.requests += made.length;
    if (operation?.multipart) summary.multipart++;
    const problems = [];
    let specLess = false;
    for (const request of made) {
      const op = spec.match(request.method, request.path.replace(/^\/v1(?=\/)/, ""));
      if (op) {
        seenOperations.add(op.id);
        if (!(request.status >= 200 && request.status < 300)) problems.push(`${request.method} ${request.path}${request.search}: ${request.status ?? "no answer"}`);
      } else {
        specLess = true;
        const expected = `Invalid URL (${request.method} ${request.path})`;
        const envelope = thrown instanceof APIError ? thrown.error : null;
        if (request.status !== 404 || envelope?.message !== expected || envelope?.type !== "invalid_request_error") {
          problems.push(`${request.method} ${request.path} is not in the spec: wanted 404 "${expected}", got ${request.status ?? "no answer"} ${JSON.stringify(envelope)}`);
        }
      }
    }
    if (thrown && !specLess) problems.push(`threw ${thrown.constructor?.name}: ${String(thrown.message).slice(0, 400)}`);
    if (made.length === 0) problems.push("made no request");
    if (problems.length) failures.push({ method: name, operation: operation?.id ?? null, problems });
    else {
      summary.passed++;
      if (specLess) summary.spec_less++;
    }
  }

  // The multipart case, sent by the SDK itself: a large upload to a path the spec lacks.
  summary.called++;
  const want = "Invalid URL (POST /v1/no_such_uploads)";
  const form = new FormData();
  form.append("purpose", "assistants");
  form.append("file", await toFile(files.bytes(8 << 20), "unknown.bin", { type: "application/octet-stream" }));
  const { log, error } = await call(false, () => client.post("/no_such_uploads", { body: form }));
  if (log.length === 1 && error instanceof APIError && error.status === 404 && error.error?.message === want) {
    summary.passed++;
    summary.spec_less++;
  } else failures.push({ method: "client.post /no_such_uploads (8 MiB multipart)", error: `${error?.constructor?.name}: ${error?.message}` });

  // Known mock gaps are reported but do not fail the run; a listed method that passes does.
  const failedNames = new Set(failures.map((f) => f.method));
  const known = failures.filter((f) => GAPS[f.method]);
  const unexpected = failures.filter((f) => !GAPS[f.method]);
  for (const name of Object.keys(GAPS)) {
    if (!failedNames.has(name)) unexpected.push({ method: name, error: "listed in conformance-gaps.json but passes (or was not found): remove it from the list" });
  }
  summary.failed = unexpected.length;
  summary.known_gaps = known.length;
  summary.operations_covered = seenOperations.size;
  summary.operations_in_spec = spec.operations.length;
  summary.upload_bytes = files.sizes;
  for (const failure of known) console.log(JSON.stringify({ known_gap: GAPS[failure.method], ...failure }));
  for (const failure of unexpected) console.log(JSON.stringify(failure));
  console.log(JSON.stringify({ ok: unexpected.length === 0, ...summary }));
  process.exit(unexpected.length === 0 ? 0 : 1);
}

main().catch((error) => {
  console.log(JSON.stringify({ ok: false, error: String(error?.stack ?? error) }));
  process.exit(1);
});
