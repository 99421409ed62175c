-- A rotating mix of requests for the memory soak (bench/load.sh): chat (plain and
-- streamed), embeddings, responses, the model list, one model, and an invalid request.
-- $BENCH_BODIES is the bodies folder, $BENCH_BASE the path prefix (`/v1` or empty).
local dir = assert(os.getenv("BENCH_BODIES"), "set BENCH_BODIES to bench/bodies")
local base = os.getenv("BENCH_BASE") or "/v1"

local function read(name)
   local file = assert(io.open(dir .. "/" .. name, "rb"))
   local text = file:read("*a")
   file:close()
   return text
end

local requests = {}
local next_index = 0

function init(args)
   local json = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer sk-bench" }
   local auth = { ["Authorization"] = "Bearer sk-bench" }
   local chat = read("chat.json")
   local streamed_chat = string.gsub(chat, "^{", '{"stream":true,', 1)
   requests = {
      wrk.format("POST", base .. "/chat/completions", json, chat),
      wrk.format("POST", base .. "/chat/completions", json, streamed_chat),
      wrk.format("POST", base .. "/embeddings", json, read("embeddings.json")),
      wrk.format("POST", base .. "/responses", json, read("responses.json")),
      wrk.format("GET", base .. "/models", auth),
      wrk.format("GET", base .. "/models/gpt-4o-mini", auth),
      wrk.format("POST", base .. "/chat/completions", json, read("invalid.json")),
   }
end

function request()
   next_index = next_index % #requests + 1
   return requests[next_index]
end
