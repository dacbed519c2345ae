"""Logs Insights saved queries: Put/Describe/DeleteQueryDefinition (not in moto 5.2.5).

Per the Logs API reference: PutQueryDefinition creates a definition with a generated ID, or
updates the one named by ``queryDefinitionId`` (which must exist); DescribeQueryDefinitions
filters by ``queryDefinitionNamePrefix`` and pages with ``maxResults`` (1..1000) and
``nextToken``; DeleteQueryDefinition answers ``{"success": true}``.

``clientToken`` (an idempotency token, ``\\S{36,128}``; botocore fills in a random one when the
caller gives none, the same for every retry of one call): a request repeating the token of an
earlier one with the same parameters answers that request's ``queryDefinitionId`` again and
changes nothing (even if that definition was deleted since), so two callers that derive the
token from what they create make it once. The same token with other parameters is refused
(InvalidParameterException), as AWS's idempotency tokens are. Tokens are kept per region for
the life of the emulator (AWS keeps them for a limited, undocumented time)."""

from __future__ import annotations

import json
import re
import threading
from typing import Any

from moto.core.utils import unix_time_millis, utcnow
from moto.logs.exceptions import InvalidParameterException, ResourceNotFoundException
from moto.logs.responses import LogsResponse
from moto.moto_api._internal import mock_random

from . import _common
from ._common import patch
from .logs import _constraint, _limit, _page

QUERY_LANGUAGES = ("CWLI", "SQL", "PPL")
_CLIENT_TOKEN = re.compile(r"\S{36,128}")
_IDEMPOTENT_PARAMS = ("name", "queryString", "queryLanguage", "logGroupNames",
                      "queryDefinitionId", "parameters")
_lock = threading.Lock()  # the token check and the write are one step


def _definitions(resp: LogsResponse) -> dict[str, dict[str, Any]]:
    return _common.state(resp.logs_backend, "obsctl_query_definitions", dict)


def _check_length(field: str, value: Any, low: int, high: int) -> None:
    if not isinstance(value, str) or not low <= len(value) <= high:
        raise _constraint(field, value, f"Member must have length between {low} and {high}")


def _client_tokens(resp: LogsResponse) -> dict[str, tuple[dict[str, Any], str]]:
    """clientToken -> (the request's parameters, the queryDefinitionId it answered)."""
    return _common.state(resp.logs_backend, "obsctl_query_client_tokens", dict)


def put_query_definition(self: LogsResponse) -> str:
    token = self._get_param("clientToken")
    if token is not None and not (isinstance(token, str) and _CLIENT_TOKEN.fullmatch(token)):
        raise _constraint("clientToken", token, "Member must satisfy regular expression "
                                                "pattern: \\S{36,128}")
    with _lock:
        if token is None:
            return _put(self)
        params = {key: self._get_param(key) for key in _IDEMPOTENT_PARAMS}
        earlier = _client_tokens(self).get(token)
        if earlier is not None:
            if earlier[0] != params:
                raise InvalidParameterException(
                    msg="The clientToken was already used with different parameters.")
            return json.dumps({"queryDefinitionId": earlier[1]})
        answer = _put(self)
        _client_tokens(self)[token] = (params, json.loads(answer)["queryDefinitionId"])
        return answer


def _put(self: LogsResponse) -> str:
    name, query = self._get_param("name"), self._get_param("queryString")
    _check_length("name", name, 1, 255)
    _check_length("queryString", query, 1, 10000)
    language = self._get_param("queryLanguage", "CWLI")
    if language not in QUERY_LANGUAGES:
        raise _constraint("queryLanguage", language, f"Member must satisfy enum value set: [{', '.join(QUERY_LANGUAGES)}]")
    group_names = self._get_param("logGroupNames") or []
    definitions = _definitions(self)
    definition_id = self._get_param("queryDefinitionId")
    if definition_id is not None and definition_id not in definitions:
        raise ResourceNotFoundException("Query definition not found.")
    definition_id = definition_id or str(mock_random.uuid4())
    definition: dict[str, Any] = {
        "queryLanguage": language,
        "queryDefinitionId": definition_id,
        "name": name,
        "queryString": query,
        "lastModified": int(unix_time_millis(utcnow())),
        "logGroupNames": list(group_names),
    }
    if self._get_param("parameters"):
        definition["parameters"] = self._get_param("parameters")
    definitions[definition_id] = definition  # an update is a full replace
    return json.dumps({"queryDefinitionId": definition_id})


def describe_query_definitions(self: LogsResponse) -> str:
    prefix = self._get_param("queryDefinitionNamePrefix")
    language = self._get_param("queryLanguage")
    limit = _limit(self, "maxResults", 1000, 1000)
    items = list(_definitions(self).values())
    if prefix:
        items = [d for d in items if d["name"].startswith(prefix)]
    if language:
        items = [d for d in items if d["queryLanguage"] == language]
    page, token = _page(self, items, key=lambda d: (d["name"], d["queryDefinitionId"]), limit=limit,
                        kind="logs:DescribeQueryDefinitions")
    result: dict[str, Any] = {"queryDefinitions": page}
    if token:
        result["nextToken"] = token
    return json.dumps(result)


def delete_query_definition(self: LogsResponse) -> str:
    definition_id = self._get_param("queryDefinitionId")
    if not definition_id:
        raise InvalidParameterException(msg="queryDefinitionId is required.")
    if _definitions(self).pop(definition_id, None) is None:
        raise ResourceNotFoundException("Query definition not found.")
    return json.dumps({"success": True})


def install() -> None:
    patch(LogsResponse, "put_query_definition", put_query_definition)
    patch(LogsResponse, "describe_query_definitions", describe_query_definitions)
    patch(LogsResponse, "delete_query_definition", delete_query_definition)
