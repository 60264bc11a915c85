-- wrk script for bench/ingest.py: POST /api/v2/alerts with Prometheus-shaped bodies.
--
-- Arguments (after `--`):  mode  batch  tag  key  [poolfile]
--   mode "new":    every request carries `batch` alerts whose label sets were never sent
--                  before (label i = <tag>-<thread>-<counter>), built here per request.
--   mode "repeat": bodies are read from `poolfile` (one JSON body per line, written and
--                  already posted once by ingest.py) and sent round-robin: every request
--                  re-posts known label sets, i.e. the dedup path Prometheus hits every minute.
--   key:           sent as "Authorization: Bearer <key>" unless it is "-".
-- done() prints one line "BENCHJSON {...}" that ingest.py parses.

local counter = 1
local threads = {}

function setup(thread)
   thread:set("tid", #threads)
   table.insert(threads, thread)
end

local mode, batch, tag, key, poolfile
local bodies = {}
local nbodies = 0
local nthreads = 1
local headers = {}
local START = '2026-01-01T00:00:00.000Z'
local ENDS = '2099-01-01T00:00:00.000Z'

function init(args)
   mode, batch, tag, key, poolfile = args[1], tonumber(args[2]), args[3], args[4], args[5]
   nthreads = tonumber(args[6] or "1")
   headers["Content-Type"] = "application/json"
   if key ~= nil and key ~= "-" then
      headers["Authorization"] = "Bearer " .. key
   end
   if mode == "repeat" then
      -- Each thread keeps its share of the pool, so threads don't send the same body
      -- at the same moment (they would only contend on the same rows).
      local i = 0
      for line in io.lines(poolfile) do
         if i % nthreads == tid then
            nbodies = nbodies + 1
            bodies[nbodies] = line
         end
         i = i + 1
      end
      if nbodies == 0 then
         -- fewer bodies than threads: share them
         for line in io.lines(poolfile) do
            nbodies = nbodies + 1
            bodies[nbodies] = line
         end
      end
   end
end

local function alert(id)
   -- The shape Prometheus 2.42 sends (protocols.md 1.1); ~330 bytes per alert.
   local n = #id
   local name = "BenchAlert" .. string.sub(id, n, n)  -- 10 alert names (warroom groups by alertname)
   return '{"annotations":{"summary":"bench alert ' .. id .. ' is firing"},"endsAt":"' .. ENDS ..
      '","startsAt":"' .. START ..
      '","generatorURL":"http://prometheus:9090/graph?g0.expr=bench_up+%3D%3D+1&g0.tab=1",' ..
      '"labels":{"alertname":"' .. name .. '","i":"' .. id ..
      '","instance":"10.0.0.1:9100","job":"bench","severity":"warning"}}'
end

function request()
   local body
   if mode == "repeat" then
      body = bodies[counter]
      counter = counter + 1
      if counter > nbodies then counter = 1 end
   else
      local parts = {}
      local prefix = tag .. "-" .. tid .. "-"
      for j = 1, batch do
         parts[j] = alert(prefix .. counter)
         counter = counter + 1
      end
      body = "[" .. table.concat(parts, ",") .. "]"
   end
   return wrk.format("POST", nil, headers, body)
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      'BENCHJSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect_errors":%d,' ..
      '"read_errors":%d,"write_errors":%d,"status_errors":%d,"timeouts":%d,' ..
      '"p50_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
      summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
      e.status, e.timeout, latency:percentile(50), latency:percentile(99), latency.max,
      latency.mean))
end
