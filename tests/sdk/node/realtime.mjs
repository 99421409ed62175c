// openai-node's Realtime WebSocket clients against openai-mock: `OpenAIRealtimeWS` (the
// `ws` package, key in the Authorization header) and, where the runtime has a global
// WebSocket, the browser client `OpenAIRealtimeWebSocket` (key in the
// `openai-insecure-api-key.` subprotocol). Each runs a text turn, a turn scripted by the
// rules file, an audio turn and an
// invalid event answered by an `error` on a socket that stays open. Prints one JSON line:
// {"ok": true, ...} when every check passed, else {"ok": false, "error": ...}, exit 1.
import OpenAI from "openai";
import { OpenAIRealtimeWS } from "openai/realtime/ws";

const baseURL = process.argv[2];
const apiKey = process.argv[3] ?? "sk-node-test";
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 20_000 });

function check(condition, what) {
  if (!condition) throw new Error(`check failed: ${what}`);
}

/** Resolves with the events up to and including the first of `type`. */
function until(rt, type, received) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${type} within 15 s`)), 15_000);
    const poll = () => {
      const index = received.findIndex((e) => e.type === type);
      if (index >= 0) {
        clearTimeout(timer);
        resolve(received.splice(0, index + 1));
      } else {
        setTimeout(poll, 5);
      }
    };
    poll();
  });
}

async function session(rt) {
  const received = [];
  rt.on("event", (event) => received.push(event));
  rt.on("error", (error) => received.push({ type: "client_error", error }));
  const opened = await until(rt, "session.created", received);
  check(opened.at(-1).session.model === "gpt-realtime", "session model");

  rt.send({ type: "session.update", session: { type: "realtime", output_modalities: ["text"] } });
  await until(rt, "session.updated", received);
  /** A text turn after the user says `text`: the reply's text. */
  const textTurn = async (text) => {
    rt.send({
      type: "conversation.item.create",
      item: { type: "message", role: "user", content: [{ type: "input_text", text }] },
    });
    rt.send({ type: "response.create" });
    const events = await until(rt, "response.done", received);
    return events.filter((e) => e.type === "response.output_text.delta").map((e) => e.delta).join("");
  };
  const said = await textTurn('Reply with "Hi from Node"');
  check(said === "Hi from Node", `text turn said ${JSON.stringify(said)}`);
  // tests/sdk/realtime_rules.yaml scripts this turn's reply.
  const word = await textTurn("What is the secret word?");
  check(word === "The secret word is mango.", `scripted turn said ${JSON.stringify(word)}`);

  rt.send({ type: "response.create", response: { output_modalities: ["audio"] } });
  const audio = await until(rt, "response.done", received);
  const bytes = audio
    .filter((e) => e.type === "response.output_audio.delta")
    .reduce((n, e) => n + Buffer.from(e.delta, "base64").length, 0);
  const transcript = audio.find((e) => e.type === "response.output_audio_transcript.done").transcript;
  const seconds = bytes / 2 / 24_000;
  const words = transcript.split(/\s+/).length;
  check(seconds >= words / 4 && seconds <= words / 1.5 + 1, `audio of ${seconds}s for ${words} words`);

  rt.send({ type: "conversation.item.retrieve", event_id: "evt_node_bad" });
  // The SDK reports an `error` server event on its "error" channel, not as an event.
  await until(rt, "client_error", received);
  rt.send({ type: "session.update", session: { type: "realtime", instructions: "Still open." } });
  const still = await until(rt, "session.updated", received);
  check(still.at(-1).session.instructions === "Still open.", "socket stays open");
  rt.close();
  return { seconds, words };
}

try {
  const results = {};
  const ws = await OpenAIRealtimeWS.create(client, { model: "gpt-realtime" });
  results.ws = await session(ws);
  if (typeof globalThis.WebSocket === "function") {
    const { OpenAIRealtimeWebSocket } = await import("openai/realtime/websocket");
    const browser = new OpenAIRealtimeWebSocket({ model: "gpt-realtime", dangerouslyAllowBrowser: true }, client);
    results.browser = await session(browser);
  }
  console.log(JSON.stringify({ ok: true, ...results }));
} catch (error) {
  console.log(JSON.stringify({ ok: false, error: String(error?.stack ?? error), name: error?.name }));
  process.exit(1);
}
