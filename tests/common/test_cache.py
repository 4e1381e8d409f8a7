"""The platform cache (apps.common.cache): Django's RedisCache keeping one redis-py client
per connection pool, still keyed per gym."""

from django.core.cache import cache
from django_tenants.utils import schema_context


def test_cache_reuses_its_redis_client_and_keeps_gyms_apart(gym_a, gym_b):
    assert cache.redis_client(write=True) is cache.redis_client(write=True)
    with schema_context(gym_a.schema_name):
        cache.set("test:cache:shared-name", "a", 30)
        cache.delete("test:cache:counter")
        assert cache.add("test:cache:counter", 0) and cache.incr("test:cache:counter") == 1
    with schema_context(gym_b.schema_name):
        assert cache.get("test:cache:shared-name") is None
        cache.set("test:cache:shared-name", "b", 30)
    with schema_context(gym_a.schema_name):
        assert cache.get("test:cache:shared-name") == "a"
        assert cache.get("test:cache:counter") == 1
        cache.delete_many(["test:cache:shared-name", "test:cache:counter"])
    with schema_context(gym_b.schema_name):
        cache.delete("test:cache:shared-name")
