-- wrk script: POSTs the AdmissionReviews of $REVIEWS (one JSON a line) in turn, and
-- counts answers that are not HTTP 200 with an AdmissionReview response.
local reviews = {}
for line in io.lines(os.getenv("REVIEWS") or "reviews.jsonl") do
  reviews[#reviews + 1] = line
end
local next_one = 0
bad = 0 -- global: done() reads it from each thread with thread:get
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  bad = 0
end

request = function()
  next_one = next_one % #reviews + 1
  return wrk.format("POST", "/validate", {["Content-Type"] = "application/json"}, reviews[next_one])
end

response = function(status, headers, body)
  if status ~= 200 or not string.find(body, '"response":{"uid":', 1, true) then
    bad = bad + 1
  end
end

done = function(summary, latency, requests)
  local failed = 0
  for _, thread in ipairs(threads) do
    failed = failed + thread:get("bad")
  end
  io.write(string.format("reviews: %d, not answered with a review: %d, socket errors: %d\n",
    summary.requests, failed, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout))
  for _, p in ipairs({50, 90, 99, 99.9}) do
    io.write(string.format("p%g: %.3f ms\n", p, latency:percentile(p) / 1000))
  end
end
