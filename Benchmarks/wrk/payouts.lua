-- wrk script for Benchmarks/perf.sh: payout-invoice creates (JSON:API dialect) or reads.
-- usage: wrk … -s payouts.lua URL -- MODE PATH AUTH_B64 ARG [LIMIT] [DELAY_MS] [CALLBACK_URL]
--   MODE create: POST PATH with a unique reference_id per request (ARG: reference prefix); the ids answered are
--                written to ARG-<thread>.ids when LIMIT > 0 (a fixed-size burst: each thread stops after LIMIT answers)
--   MODE get:    GET PATH/<id> for ids cycled from the files ARG-*.ids (PATH may end in ?filter[reference_id]=, then
--                the references are used instead of ids)
--   DELAY_MS     pause per request and connection (a steady rate of about connections × 1000 / DELAY_MS)
-- Prints one line: RESULT requests=… rps=… ok_rps=… (2xx answers only) p50_ms=… p90_ms=… p99_ms=… max_ms=… bad=… statuses=201:n,…
local threads = {}
local counter_tid = 0

function setup(thread)
   counter_tid = counter_tid + 1
   thread:set("tid", counter_tid)
   table.insert(threads, thread)
end

local function read_lines(pattern_prefix, field)
   local list = {}
   for t = 1, 64 do
      local f = io.open(pattern_prefix .. "-" .. t .. ".ids", "r")
      if f then
         for line in f:lines() do
            local id, ref = line:match("^(%S+)%s+(%S+)$")
            if id then table.insert(list, field == "ref" and ref or id) end
         end
         f:close()
      end
   end
   return list
end

function init(args)
   mode, path, arg = args[1], args[2], args[4]
   limit = tonumber(args[5] or "0") or 0
   pause = tonumber(args[6] or "0") or 0
   callback = args[7]
   if callback == "" then callback = nil end
   wrk.headers["Authorization"] = "Basic " .. args[3]
   counter, answers, statuses = 0, 0, {}
   if mode == "create" then
      wrk.headers["Content-Type"] = "application/json"
      if limit > 0 then ids_file = io.open(arg .. "-" .. tid .. ".ids", "w") end
   else
      by_reference = path:find("filter", 1, true) ~= nil
      keys = read_lines(arg, by_reference and "ref" or "id")
      if #keys == 0 then error("no ids in " .. arg .. "-*.ids") end
      position = tid
   end
end

function delay()
   return pause
end

function request()
   counter = counter + 1
   if mode == "create" then
      last_reference = arg .. "-" .. tid .. "-" .. counter
      local body = '{"data":{"type":"payout-invoice","attributes":{"service":"card","currency":"USD","amount":10.00,'
         .. '"reference_id":"' .. last_reference .. '","test_mode":true,'
         .. (callback and ('"callback_url":"' .. callback .. '",') or '')
         .. '"fields":{"card_number":"5123817234060000"}}}}'
      return wrk.format("POST", path, nil, body)
   end
   position = position % #keys + 1
   if by_reference then return wrk.format("GET", path .. keys[position]) end
   return wrk.format("GET", path .. "/" .. keys[position])
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
   answers = answers + 1
   if ids_file and status == 201 then
      local id = body:match('"id":"(cpoi_[^"]+)"')
      local ref = body:match('"reference_id":"([^"]+)"')
      if id and ref then ids_file:write(id, " ", ref, "\n") end
   end
   if limit > 0 and answers >= limit then
      if ids_file then ids_file:close(); ids_file = nil end
      wrk.thread:stop()
   end
end

function done(summary, latency, requests)
   local total, bad, good, list = {}, 0, 0, {}
   for _, t in ipairs(threads) do
      for k, v in pairs(t:get("statuses")) do total[k] = (total[k] or 0) + v end
   end
   for k, v in pairs(total) do
      table.insert(list, k .. ":" .. v)
      if k >= 300 then bad = bad + v else good = good + v end
   end
   table.sort(list)
   local seconds = summary.duration / 1e6
   io.write(string.format(
      "RESULT requests=%d seconds=%.2f rps=%.1f ok_rps=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f bad=%d socket_errors=%d statuses=%s\n",
      summary.requests, seconds, summary.requests / seconds, good / seconds, latency:percentile(50) / 1000, latency:percentile(90) / 1000,
      latency:percentile(99) / 1000, latency.max / 1000, bad,
      summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
      table.concat(list, ",")))
end
