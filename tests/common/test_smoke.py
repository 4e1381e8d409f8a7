def test_health_reports_database_redis_and_broker(web, gym_a):
    response = web(gym_a).get("/healthz")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "redis", "broker"}
