"""The embedded services of `make run`/`make test` (config/devstack.py)."""

import pytest
import redis

from config.devstack import start_redis


@pytest.mark.parametrize(("persist", "save", "aof"), [(True, "60 1", "yes"), (False, "", "no")])
def test_make_run_redis_persists_its_queue_to_disk_and_the_test_redis_does_not(
    tmp_path, persist, save, aof
):
    proc, url = start_redis(tmp_path, persist)
    try:
        config = redis.Redis.from_url(url).config_get("*")
        assert (config["save"], config["appendonly"]) == (save, aof)
        assert config["dir"] == str(tmp_path)
    finally:
        proc.terminate()
        proc.wait(10)
