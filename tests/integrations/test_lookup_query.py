"""The readiness lookup's query is checked by hand for speed (Argo Rollouts and
pipelines poll it); it must accept, refuse and explain exactly what the DRF
serializer it replaced did."""

import pytest
from django.http import QueryDict
from hypothesis import example, given, settings
from hypothesis import strategies as st
from rest_framework import serializers

from apps.integrations.api.serializers import readiness_lookup_query


class Reference(serializers.Serializer):
    """The serializer the lookup used before (its rules and messages)."""

    service = serializers.CharField(max_length=120)
    environment = serializers.CharField(max_length=120)
    version = serializers.CharField(max_length=64, required=False)
    sha = serializers.RegexField(r"^[0-9a-fA-F]{7,64}$", required=False)

    def validate(self, data: dict) -> dict:
        if bool(data.get("version")) == bool(data.get("sha")):
            raise serializers.ValidationError("Give either version or sha.")
        return data


def _both(query: QueryDict):
    reference = Reference(data=query)
    if reference.is_valid():
        expected = ("ok", dict(reference.validated_data))
    else:
        expected = (
            "refused",
            {k: [str(m) for m in v] for k, v in reference.errors.items()},
        )
    try:
        got = ("ok", readiness_lookup_query(query))
    except serializers.ValidationError as error:
        got = ("refused", {k: [str(m) for m in v] for k, v in error.detail.items()})
    return expected, got


VALUES = st.one_of(
    st.sampled_from(
        ["", " ", "production", "Storefront API", "1.0.0", "0f" * 20, "abc123"]
    ),
    st.text(max_size=130),
    st.text(alphabet="0123456789abcdefABCDEFxyz \t\x00", max_size=70),
)


@settings(max_examples=400, deadline=None)
@example({"service": "a", "environment": "b", "sha": "a" * 65})
@example({"service": "a", "environment": "b", "version": "v" * 65})
@example({"service": "a" * 121, "environment": "\x00", "version": "1"})
@example({"service": " a ", "environment": "b", "version": "", "sha": "abcdef1"})
@example({"service": "a", "environment": "b", "version": " ", "sha": "abcdef1"})
@given(
    st.dictionaries(
        st.sampled_from(["service", "environment", "version", "sha", "other"]),
        VALUES,
        max_size=5,
    )
)
def test_the_hand_check_answers_as_the_serializer_did(fields):
    query = QueryDict(mutable=True)
    for name, value in fields.items():
        query[name] = value
    expected, got = _both(query)
    assert got == expected


@pytest.mark.parametrize(
    "query, field, words",
    [
        ("environment=production&version=1", "service", "This field is required."),
        ("service=a&environment=b", "non_field_errors", "Give either version or sha."),
        ("service=a&environment=b&version=1&sha=abcdef1", "non_field_errors", "either"),
        ("service=a&environment=%20&version=1", "environment", "may not be blank"),
        ("service=a&environment=b&sha=xyz", "sha", "does not match"),
        (f"service={'s' * 121}&environment=b&version=1", "service", "no more than 120"),
    ],
)
def test_bad_queries_are_told_what_is_wrong(query, field, words):
    with pytest.raises(serializers.ValidationError) as refused:
        readiness_lookup_query(QueryDict(query))
    assert words in str(refused.value.detail[field])


def test_a_repeated_parameter_counts_its_last_value_and_blank_optionals_are_absent():
    query = QueryDict("service=a&service=b&environment=e&version=&sha=ABCDEF12")
    assert readiness_lookup_query(query) == {
        "service": "b",
        "environment": "e",
        "sha": "ABCDEF12",
    }
