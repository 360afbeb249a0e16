def test_unknown_api_address_gets_json_404(client, db):
    response = client.get("/api/containers")

    assert response.status_code == 404
    assert response.json() == {
        "detail": "There is no API endpoint at /api/containers. The list is at /api/docs/.",
        "code": "not_found",
    }
