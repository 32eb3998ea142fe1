"""A bounded HTTP load generator for the sampling terminals (gevent + geventhttpclient, from PyPI).

Run by `fangkong bench testing --http`: `python -m fangkong.testing.loadgen CONFIG.json OUT.json`.
Each of `concurrency` terminals posts one tube (10 bindings) per request until `duration` seconds
have passed; `dup_rate` of the requests are sent a second time (a terminal retrying after a lost
answer). Connection errors and 5xx answers (the server being killed) are retried with the same
payload until acknowledged or `grace` seconds after the end. Writes the acknowledged client_ids and
the latencies to OUT.json. No Django here.

Two ways to load the server:
- closed loop (`rate` 0, the default): every terminal posts its next tube as soon as the last one is
  answered — the server's maximum throughput; the latency is then the queue the terminals build
  (Little's law: 200 terminals at 300 requests/s wait 0.67 s on average, however fast each request is);
- open loop (`rate` = bindings per second offered by all terminals together): terminal k posts its
  n-th tube at a fixed time (staggered start, one tube every `concurrency × 10 / rate` seconds), as
  a sampling table does at its own pace; the latency is measured from that scheduled time, so a server
  that falls behind is charged for the wait (no "coordinated omission").
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import json  # noqa: E402
import random  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import gevent  # noqa: E402
from geventhttpclient import HTTPClient  # noqa: E402
from geventhttpclient.url import URL  # noqa: E402


def main(config_path: str, out_path: str) -> None:
    cfg = json.load(open(config_path))
    url = URL(cfg["url"])
    headers = {"Authorization": f"Bearer {cfg['token']}", "Content-Type": "application/json"}
    people: list[str] = cfg["id_numbers"]
    per_terminal = len(people) // cfg["concurrency"]
    start = time.monotonic()
    end = start + cfg["duration"]
    hard_end = end + cfg.get("grace", 30)
    stats = {"requests": 0, "errors": 0, "retries": 0, "accepted": 0, "duplicate": 0, "rejected": 0,
             "dup_sent": 0, "reasons": {}}
    latencies: list[float] = []
    acked: list[str] = []
    rng = random.Random(cfg.get("seed", 1))
    rate = float(cfg.get("rate") or 0)
    interval = cfg["concurrency"] * 10 / rate if rate else 0.0

    def new_client():
        return HTTPClient(url.host, port=url.port, connection_timeout=5, network_timeout=30, concurrency=1)

    def post(holder: list, body: bytes, due: float | None = None):
        while time.monotonic() < hard_end:
            client = holder[0]
            t0 = time.monotonic() if due is None else due
            try:
                resp = client.post(url.request_uri, body=body, headers=headers)
                data = resp.read()
                status = resp.status_code
            except Exception:
                stats["errors"] += 1
                stats["retries"] += 1
                gevent.sleep(0.2)
                holder[0] = new_client()  # the old connection is broken; never reuse it
                continue
            if status != 200:
                stats["errors"] += 1
                stats["retries"] += 1
                gevent.sleep(0.2)
                continue
            latencies.append(time.monotonic() - t0)
            stats["requests"] += 1
            return json.loads(data)["results"]
        return None

    def terminal(k: int):
        holder = [new_client()]
        mine = people[k * per_terminal:(k + 1) * per_terminal]
        n = 0
        first = start + (k / cfg["concurrency"]) * interval
        while time.monotonic() < end and (n + 1) * 10 <= len(mine):
            due = None
            if interval:
                due = first + n * interval
                if due >= end:
                    break
                wait = due - time.monotonic()
                if wait > 0:
                    gevent.sleep(wait)
            tube = f"{cfg['prefix']}{k:03d}{n:05d}"
            items = [{"client_id": f"{tube}-{j}", "round": cfg["round"], "tube": tube, "capacity": 10,
                      "table": cfg["tables"][k % len(cfg["tables"])], "id_type": "citizen_id",
                      "id_number": mine[n * 10 + j], "sampled_at": cfg["sampled_at"]} for j in range(10)]
            body = json.dumps({"items": items}).encode()
            sends = 2 if rng.random() < cfg.get("dup_rate", 0.0) else 1
            stats["dup_sent"] += sends - 1
            for i in range(sends):
                results = post(holder, body, due if i == 0 else None)
                if results is None:
                    break
                for r in results:
                    stats[r["status"]] += 1
                    if r["status"] in ("accepted", "duplicate"):
                        acked.append(r["client_id"])
                    else:
                        stats["reasons"][r["reason"]] = stats["reasons"].get(r["reason"], 0) + 1
            n += 1

    gevent.joinall([gevent.spawn(terminal, k) for k in range(cfg["concurrency"])])
    elapsed = time.monotonic() - start
    latencies.sort()

    def pct(p):
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 1) if latencies else None

    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime  # what the load generator itself took from the 2 cores
    json.dump({"elapsed_s": round(elapsed, 2), "mode": "open loop" if rate else "closed loop",
               "offered_bindings_per_s": rate or None, **stats, "loadgen_cpu_s": round(cpu, 1),
               "loadgen_cpu_share": round(cpu / elapsed, 2), "p50_ms": pct(0.50), "p99_ms": pct(0.99),
               "max_ms": pct(1.0), "acked": sorted(set(acked))}, open(out_path, "w"))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
