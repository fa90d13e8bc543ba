from serpens import api


@api.handler(cors_origins=["https://app.example.com"])
def lambda_handler(request: api.Request):
    return {"ok": True}


def event(origin: str, method: str = "GET", **headers: str) -> dict:
    return {"httpMethod": method, "headers": {"Origin": origin, **headers}}


allowed = lambda_handler(event("https://app.example.com"), None)
assert allowed["headers"]["Access-Control-Allow-Origin"] == "https://app.example.com"
assert allowed["headers"]["Vary"] == "Origin"

other = lambda_handler(event("https://elsewhere.example"), None)
assert "Access-Control-Allow-Origin" not in other["headers"]

preflight = lambda_handler(
    event("https://app.example.com", "OPTIONS", **{"Access-Control-Request-Method": "PUT"}),
    None,
)
assert preflight["statusCode"] == 204
assert preflight["headers"]["Access-Control-Allow-Methods"] == "PUT"
