-- POST the file named by $BENCH_BODY as JSON, with a bearer key (bench/load.sh).
local path = assert(os.getenv("BENCH_BODY"), "set BENCH_BODY to a JSON body file")
local file = assert(io.open(path, "rb"))
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer sk-bench"
