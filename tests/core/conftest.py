"""Fixtures for the app's own endpoints: a private Redis wired into settings."""

import pytest
from django.core.cache import cache

from tests.core.private_redis import PrivateRedis
from tests.probes.conftest import use_broker


@pytest.fixture
def private_redis(tmp_path):
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_settings(settings, private_redis):
    """Point the cache and the broker at the private Redis, as REDIS_URL would."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": private_redis.url,
            "OPTIONS": {"socket_timeout": 1, "socket_connect_timeout": 1},
        }
    }
    settings.CELERY_BROKER_URL = private_redis.url
    # The Celery app too: /ready/ pings the workers through it.
    use_broker(private_redis.url, eager=True)
    yield settings
    use_broker("memory://", eager=True)


@pytest.fixture
def in_process_settings(settings):
    """No REDIS_URL: memory cache, tasks in-process."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    }
    settings.CELERY_BROKER_URL = "memory://"
    # Every LocMemCache shares one store per name: start from an empty one.
    cache.clear()
    return settings
