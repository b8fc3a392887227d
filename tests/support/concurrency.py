"""Requests fired at the same moment, for race tests (medusa#16347, spree#13734)."""
from __future__ import annotations

import threading


def concurrently(app, requests):
    """Run (method, url, json, headers) requests in parallel threads, each through its own test
    client, released together by a barrier; return the responses in request order."""
    barrier = threading.Barrier(len(requests))
    responses = [None] * len(requests)

    def worker(index, method, url, body, headers):
        client = app.test_client()
        barrier.wait()
        responses[index] = client.open(url, method=method, json=body, headers=headers)

    threads = [threading.Thread(target=worker, args=(i, *r)) for i, r in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return responses
