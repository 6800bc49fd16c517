"""The prometheus kind against a loopback server speaking Prometheus's query API.

Debian's prometheus package is not installed here, so the peer is a loopback
HTTP server answering GET /api/v1/query with the JSON a real Prometheus 2.x
returns for instant queries: vectors, scalars, empty results and errors.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.probes.kinds.conftest import probe
from tests.probes.kinds.servers import Handler, LoopbackHTTPServer

P95 = (
    "histogram_quantile(0.95, sum by (le) "
    '(rate(http_request_duration_seconds_bucket{job="shop"}[5m])))'
)
ERROR_RATE = (
    'sum(rate(http_requests_total{job="shop",code=~"5.."}[5m])) '
    '/ sum(rate(http_requests_total{job="shop"}[5m]))'
)


def _vector(*values: str) -> dict:
    return {
        "resultType": "vector",
        "result": [
            {
                "metric": {"job": "shop", "instance": f"web-{index}"},
                "value": [1764200000.123, value],
            }
            for index, value in enumerate(values)
        ],
    }


ANSWERS = {
    P95: {"status": "success", "data": _vector("0.231")},
    ERROR_RATE: {"status": "success", "data": _vector("0.0004")},
    "scalar(42)": {
        "status": "success",
        "data": {"resultType": "scalar", "result": [1764200000.1, "42"]},
    },
    'up{job="gone"}': {"status": "success", "data": _vector()},
    "up": {"status": "success", "data": _vector("1", "1")},
}


def query_api(handler: Handler) -> None:
    query = parse_qs(urlsplit(handler.path).query).get("query", [""])[0]
    if handler.headers.get("Authorization") not in (None, "Bearer prom-token-42"):
        handler.reply(401, b"Unauthorized")
        return
    if query in ANSWERS:
        body, status = ANSWERS[query], 200
    else:
        body = {
            "status": "error",
            "errorType": "bad_data",
            "error": (
                f'invalid parameter "query": 1:1: parse error: unexpected "{query[:1]}"'
            ),
        }
        status = 400
    handler.reply(status, json.dumps(body).encode(), content_type="application/json")


@pytest.fixture(scope="session")
def prometheus() -> Iterator[str]:
    server = LoopbackHTTPServer({"/api/v1/query": query_api}, None).start()
    yield f"http://127.0.0.1:{server.port}"
    server.shutdown()
    server.server_close()


def test_p95_under_the_budget_passes(prometheus: str) -> None:
    result = probe("prometheus", prometheus, query=P95, threshold="0.5", op="<")

    assert result.status == "pass"
    assert result.observed["value"] == 0.231
    assert result.summary.startswith("0.231 < 0.5 holds for histogram_quantile")


def test_error_rate_over_the_threshold_fails(prometheus: str) -> None:
    result = probe(
        "prometheus", prometheus, query=ERROR_RATE, threshold="0.0001", op="lt"
    )

    assert result.status == "fail"
    assert result.summary.startswith("0.0004 < 0.0001 does not hold")
    assert result.observed["labels"] == {"job": "shop", "instance": "web-0"}


def test_scalar_results_compare_too(prometheus: str) -> None:
    result = probe(
        "prometheus", prometheus, query="scalar(42)", threshold="42", op="=="
    )

    assert result.status == "pass"


def test_empty_result_fails_unless_allowed(prometheus: str) -> None:
    failing = probe("prometheus", prometheus, query='up{job="gone"}', threshold="1")
    allowed = probe(
        "prometheus", prometheus, query='up{job="gone"}', threshold="1", empty="pass"
    )

    assert failing.status == "fail"
    assert failing.summary == 'query returned no data (up{job="gone"})'
    assert allowed.status == "pass"


def test_several_series_fail(prometheus: str) -> None:
    result = probe("prometheus", prometheus, query="up", threshold="1", op=">=")

    assert result.status == "fail"
    assert result.summary.startswith("query returned 2 series")


def test_query_error_fails_with_the_servers_message(prometheus: str) -> None:
    result = probe("prometheus", prometheus, query="rate(", threshold="1")

    assert result.status == "fail"
    assert result.summary.startswith('query failed: invalid parameter "query"')


def test_bearer_token_is_sent(prometheus: str) -> None:
    result = probe(
        "prometheus", prometheus, query=P95, threshold="1", token="prom-token-42"
    )

    assert result.status == "pass"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"threshold": "1"}, "option query is required"),
        ({"query": "up"}, "option threshold is required"),
        ({"query": "up", "threshold": "1", "op": "~"}, "option op must be one of"),
        ({"query": "up", "threshold": "lots"}, "must be a number"),
    ],
)
def test_bad_options_are_errors(prometheus: str, options: dict, message: str) -> None:
    result = probe("prometheus", prometheus, **options)

    assert result.status == "error"
    assert message in result.summary
