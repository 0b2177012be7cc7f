"""Django's Redis cache with its client objects reused.

The stock backend builds a new `redis.Redis` for every cache call; constructing one (its
response-callback table) costs more than the round trip it makes. The connection pools were
always shared; this keeps one client per pool as well. Clients are thread-safe, and Django's
cache handler already gives each thread its own backend instance."""

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class ReusingRedisCacheClient(RedisCacheClient):
    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        clients = self.__dict__.setdefault("_clients", {})
        if index not in clients:
            clients[index] = self._client(connection_pool=self._get_connection_pool(write))
        return clients[index]


class ReusingRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient

    def incr_window(self, key, timeout: int) -> int:
        """Count one hit of a fixed window in one round trip: INCR, and an expiry that only the
        window's first hit sets (the stock add-then-incr takes three)."""
        full = self.make_and_validate_key(key)
        pipe = self._cache.get_client(full, write=True).pipeline(transaction=False)
        pipe.incr(full)
        pipe.expire(full, timeout, nx=True)
        count, _ = pipe.execute()
        return int(count)
