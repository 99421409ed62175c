// The Vercel AI SDK (`ai` + `@ai-sdk/openai`) against a running openai-mock, the way an app uses
// it: a provider from `createOpenAI({ baseURL, apiKey })`, then generateText, streamText,
// generateObject with a zod schema, a multi-step tool loop and embed. Each flow runs on the
// default provider model (`openai(id)`, the Responses API) and on `openai.chat(id)` (Chat
// Completions); embed runs on `openai.embedding(id)`.
//
// Run by run.sh with `node --test`; the mock's root URL comes in CLIENTS_BASE_URL.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createOpenAI } from "@ai-sdk/openai";
import {
  embed,
  embedMany,
  generateObject,
  generateText,
  Output,
  stepCountIs,
  streamText,
  tool,
} from "ai";
import { z } from "zod";

const root = process.env.CLIENTS_BASE_URL;
assert.ok(root, "CLIENTS_BASE_URL is the mock's root URL");
const openai = createOpenAI({ baseURL: `${root.replace(/\/$/, "")}/v1`, apiKey: "sk-test" });

// Fail fast instead of retrying: a retry would hide a first answer the SDK refused.
const common = { maxRetries: 0 };

const models = {
  responses: () => openai("gpt-4o-mini"),
  chat: () => openai.chat("gpt-4o-mini"),
};

const Recipe = z.object({
  name: z.string(),
  servings: z.number().int(),
  vegetarian: z.boolean(),
  ingredients: z.array(z.object({ item: z.string(), grams: z.number() })),
});

for (const [api, model] of Object.entries(models)) {
  describe(`${api} model`, () => {
    test("generateText answers with text", async () => {
      const result = await generateText({
        ...common,
        model: model(),
        prompt: "Write one sentence about the sea.",
      });
      assert.equal(typeof result.text, "string");
      assert.ok(result.text.trim().length > 0, "the answer has text");
      assert.equal(result.finishReason, "stop");
      assert.ok(result.usage.inputTokens > 0, `usage: ${JSON.stringify(result.usage)}`);
      assert.ok(result.usage.outputTokens > 0, `usage: ${JSON.stringify(result.usage)}`);
      assert.ok(result.response.id, "the response has an id");
      assert.deepEqual(result.warnings, [], "the SDK saw nothing to warn about");
    });

    test("streamText streams the text in several deltas", async () => {
      const result = streamText({
        ...common,
        model: model(),
        prompt: "Tell me a short story about a lighthouse keeper.",
        onError: ({ error }) => {
          throw error;
        },
      });
      const deltas = [];
      for await (const delta of result.textStream) deltas.push(delta);
      const text = await result.text;
      assert.ok(deltas.length > 1, `${deltas.length} deltas`);
      assert.equal(deltas.join(""), text);
      assert.ok(text.trim().length > 0, "the streamed answer has text");
      assert.equal(await result.finishReason, "stop");
      const usage = await result.usage;
      assert.ok(usage.outputTokens > 0, `usage: ${JSON.stringify(usage)}`);
    });

    test("generateObject returns an object the zod schema accepts", async () => {
      const { object } = await generateObject({
        ...common,
        model: model(),
        schema: Recipe,
        schemaName: "recipe",
        prompt: "Give me a vegetarian lasagna recipe for four people.",
      });
      // generateObject already validated it; check again as a user would.
      const parsed = Recipe.safeParse(object);
      assert.ok(parsed.success, JSON.stringify(parsed.error?.issues));
      assert.ok(object.name.length > 0);
    });

    // ai 6+ recommends generateText with an `output` over the deprecated generateObject.
    test("generateText with Output.object returns a schema-valid object", async () => {
      const { output } = await generateText({
        ...common,
        model: model(),
        output: Output.object({ schema: Recipe, name: "recipe" }),
        prompt: "Give me a pancake recipe for two people.",
      });
      const parsed = Recipe.safeParse(output);
      assert.ok(parsed.success, JSON.stringify(parsed.error?.issues));
    });

    test("a tool is called with valid arguments and the loop ends with text", async () => {
      const calls = [];
      const weather = tool({
        description: "Get the current weather for a city",
        inputSchema: z.object({
          city: z.string().describe("The city name"),
          unit: z.enum(["celsius", "fahrenheit"]).optional(),
        }),
        execute: async (input) => {
          calls.push(input);
          return { city: input.city, temperature: 18, conditions: "sunny" };
        },
      });
      const result = await generateText({
        ...common,
        model: model(),
        tools: { weather },
        stopWhen: stepCountIs(5),
        prompt: "What is the weather in Paris? Use the tool.",
      });
      assert.equal(calls.length, 1, `tool calls: ${JSON.stringify(calls)}`);
      assert.equal(calls[0].city, "Paris", "the city comes from the prompt");
      assert.ok(result.steps.length >= 2, `${result.steps.length} steps`);
      const first = result.steps[0];
      assert.equal(first.finishReason, "tool-calls");
      assert.equal(first.toolCalls[0].toolName, "weather");
      assert.equal(first.toolResults[0].output.temperature, 18);
      assert.equal(result.finishReason, "stop");
      assert.ok(result.text.trim().length > 0, "the final step answers in text");
      assert.match(result.text, /18/, "the final answer uses the tool's result");
    });

    test("streamText runs the tool loop too", async () => {
      const calls = [];
      const result = streamText({
        ...common,
        model: model(),
        tools: {
          weather: tool({
            description: "Get the current weather for a city",
            inputSchema: z.object({ city: z.string() }),
            execute: async ({ city }) => {
              calls.push(city);
              return { city, temperature: 18 };
            },
          }),
        },
        stopWhen: stepCountIs(5),
        prompt: "What is the weather in Paris? Use the tool.",
        onError: ({ error }) => {
          throw error;
        },
      });
      const text = await result.text;
      const steps = await result.steps;
      assert.equal(calls.length, 1);
      assert.ok(steps.length >= 2, `${steps.length} steps`);
      assert.ok(text.trim().length > 0, "the final step answers in text");
    });
  });
}

describe("embedding model", () => {
  test("embed returns a vector of the model's length", async () => {
    const { embedding, usage } = await embed({
      ...common,
      model: openai.embedding("text-embedding-3-small"),
      value: "sunny day at the beach",
    });
    assert.equal(embedding.length, 1536);
    assert.ok(embedding.every((x) => Number.isFinite(x)));
    const norm = Math.sqrt(embedding.reduce((s, x) => s + x * x, 0));
    assert.ok(Math.abs(norm - 1) < 1e-3, `norm ${norm}`);
    assert.ok(usage.tokens > 0);
  });

  test("embedMany with dimensions keeps the order and the length", async () => {
    const values = ["a cat on a mat", "a dog in the fog", "a cat on a hat"];
    const { embeddings } = await embedMany({
      ...common,
      model: openai.embedding("text-embedding-3-large"),
      values,
      providerOptions: { openai: { dimensions: 256 } },
    });
    assert.equal(embeddings.length, 3);
    for (const e of embeddings) assert.equal(e.length, 256);
    const dot = (a, b) => a.reduce((s, x, i) => s + x * b[i], 0);
    // Texts that share words sit closer than texts that do not.
    assert.ok(dot(embeddings[0], embeddings[2]) > dot(embeddings[0], embeddings[1]));
  });
});
