"""The throwaway PostgreSQL and Redis the scale tests run against (tests/throwaway_servers.py): reachable on
127.0.0.1, a database of its own per test, and nothing left behind once stopped."""

from __future__ import annotations

import socket

import pytest
import redis
from sqlalchemy import create_engine, text

from .throwaway_servers import PostgresServer, RedisServer

pytestmark = pytest.mark.scale


def _answers(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_each_test_gets_a_database_of_its_own_dropped_afterwards(postgres, postgres_url):
    engine = create_engine(postgres_url)
    try:
        with engine.begin() as connection:
            assert connection.scalar(text("SELECT count(*) FROM exercises")) == 0
            connection.execute(text("CREATE TABLE mine (n integer)"))
    finally:
        engine.dispose()
    other = postgres.database()
    engine = create_engine(other)
    try:
        with engine.connect() as connection:
            assert connection.scalar(text("SELECT to_regclass('mine')")) is None
            assert connection.scalar(text("SHOW fsync")) == "off"
    finally:
        engine.dispose()
    assert postgres_url.startswith(f"postgresql+psycopg://facilitator@127.0.0.1:{postgres.port}/")


def test_redis_answers_and_starts_each_test_empty(redis_url):
    assert redis_url.startswith("redis://127.0.0.1:")
    with redis.Redis.from_url(redis_url) as client:
        assert client.dbsize() == 0
        client.set("left", "behind")


def test_redis_was_emptied_since(redis_url):
    with redis.Redis.from_url(redis_url) as client:
        assert client.get("left") is None


def test_stopped_servers_leave_neither_a_process_nor_a_folder():
    pg, cache = PostgresServer().start(), RedisServer().start()
    assert _answers(pg.port) and _answers(cache.port)
    pg.stop()
    cache.stop()
    assert not pg.folder.exists() and not cache.folder.exists()
    assert not _answers(pg.port) and not _answers(cache.port)
