// openai-node against openai-mock over HTTPS. Trust comes from NODE_EXTRA_CA_CERTS (set by
// run.sh). Prints one JSON line: {"ok": true, ...} when every call succeeded, else
// {"ok": false, "error": ..., "name": ...} with exit status 1.
import OpenAI from "openai";

const baseURL = process.argv[2];
const client = new OpenAI({ baseURL, apiKey: "sk-node-test", maxRetries: 0, timeout: 20_000 });

function check(condition, what) {
  if (!condition) throw new Error(`check failed: ${what}`);
}

try {
  const completion = await client.chat.completions.create({
    model: "gpt-4o-mini",
    messages: [{ role: "user", content: "Say hello" }],
  });
  check(completion.object === "chat.completion", "chat completion object");
  check(completion.model === "gpt-4o-mini", "chat completion model");

  const stream = await client.chat.completions.create({
    model: "gpt-4o-mini",
    messages: [{ role: "user", content: "Say hello" }],
    stream: true,
  });
  let chunks = 0;
  for await (const chunk of stream) {
    check(chunk.object === "chat.completion.chunk", "stream chunk object");
    chunks += 1;
  }
  check(chunks > 0, "stream chunks");

  const models = [];
  for await (const model of client.models.list()) models.push(model.id);
  check(models.length > 0, "models listed");

  const { data, response } = await client.models.list().withResponse();
  check(response.headers.get("x-request-id")?.startsWith("req_"), "x-request-id header");

  console.log(JSON.stringify({ ok: true, completion: completion.id, chunks, models: models.length, listed: data.data.length }));
} catch (error) {
  console.log(JSON.stringify({ ok: false, name: error?.constructor?.name, error: String(error), cause: String(error?.cause ?? "") }));
  process.exit(1);
}
