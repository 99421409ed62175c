-- POST the streamed request in $BENCH_BODY and count the server-sent events that arrive
-- (bench/load.sh). Every `data:` line of a 200 answer counts, `data: [DONE]` included;
-- `done` prints the totals for the whole run, summed over wrk's threads.
local path = assert(os.getenv("BENCH_BODY"), "set BENCH_BODY to a JSON body file")
local file = assert(io.open(path, "rb"))
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer sk-bench"

-- Per-thread counters (globals, so `done` can read them with thread:get).
events = 0
streams = 0

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function response(status, headers, body)
   if status ~= 200 then
      return
   end
   local _, lines = string.gsub(body, "\ndata:", "")
   if string.sub(body, 1, 5) == "data:" then
      lines = lines + 1
   end
   events = events + lines
   streams = streams + 1
end

function done(summary, latency, requests)
   local total_events, total_streams = 0, 0
   for _, thread in ipairs(threads) do
      total_events = total_events + thread:get("events")
      total_streams = total_streams + thread:get("streams")
   end
   io.write(string.format("events %d\nstreams %d\nduration_us %d\n",
      total_events, total_streams, summary.duration))
end
