-- GET with a bearer key (bench/load.sh).
wrk.headers["Authorization"] = "Bearer sk-bench"
