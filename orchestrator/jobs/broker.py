"""What the job layer knows of its broker: the queue and task that carry job ids, and how to read the
queue's depth from Redis (for metrics) without going through Celery."""

from __future__ import annotations

import functools

TASK = "onewindow.run_job"
QUEUE = "onewindow"
UNACKED = "unacked"  # kombu's Redis transport keeps delivered, unacknowledged messages in this hash


@functools.cache
def redis_client(url: str):
    import redis

    return redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
