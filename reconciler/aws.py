"""boto3 clients for one stack: endpoint, region, role, retries and API-call accounting.

Pagination, retries and credentials are botocore's; this module only configures them.
"""

from __future__ import annotations

import json
import os
import re
import threading
from concurrent.futures import Future
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import boto3
import botocore.config
import botocore.session
from botocore.credentials import (AssumeRoleCredentialFetcher, CredentialProvider,
                                  CredentialResolver, RefreshableCredentials)
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError
from botocore.parsers import ResponseParserError

from reconciler import __version__, ratelimit
from reconciler.diagnostics import ObsctlError

if TYPE_CHECKING:
    from reconciler.config.stack import Stack

# Total attempts per call (first try included). Standard mode, not adaptive: adaptive's
# client-side limiter is shared by every operation of a client, so throttles on
# PutMetricAlarm (3/s) would also slow DescribeAlarms and GetDashboard; measured with 30 %
# injected faults on 500 resources: standard 33 s, adaptive 186 s (tests/reliability).
# AWS_RETRY_MODE / AWS_MAX_ATTEMPTS override both, as they do for every botocore client.
DEFAULT_RETRY_MODE = "standard"
DEFAULT_MAX_ATTEMPTS = 10
# Appended to botocore's User-Agent of every request obsctl sends (see reconciler/drift.py).
USER_AGENT = f"obsctl/{__version__}"
# Operation-name prefixes that change AWS state; the rest are reads.
WRITE_PREFIXES = ("Put", "Create", "Delete", "Update", "Tag", "Untag", "Associate",
                  "Disassociate", "Subscribe", "Unsubscribe", "Set", "Register",
                  "Deregister", "Start", "Stop", "Add", "Remove", "Enable", "Disable")


# What a botocore call raises when AWS or the way to it fails. ResponseParserError (an answer
# that cannot be parsed, e.g. cut short) derives from Exception, not BotoCoreError, and
# botocore does not retry it: the parse runs outside its retry loop (endpoint._do_get_response).
AWS_ERRORS = (ClientError, BotoCoreError, ResponseParserError)
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def is_write(operation: str) -> bool:
    return operation.startswith(WRITE_PREFIXES)


def describe_error(error: Exception) -> str:
    """One printable line for an AWS_ERRORS error, naming the operation where known."""
    if isinstance(error, ClientError):
        info = error.response.get("Error", {})
        text = f"{info.get('Code', 'Error')}: {info.get('Message', error)}"
    elif isinstance(error, ResponseParserError):
        # botocore's message goes on with the whole body on its next lines.
        first = (str(error).splitlines() or [""])[0].rstrip(" :")
        operation = getattr(error, "operation_name", None)
        text = (f"AWS {operation or 'sent'}: unreadable response (cut short or malformed; "
                f"a write may have taken effect, rerun to converge): {first}")
    else:
        text = str(error)
    return _UNPRINTABLE.sub("?", text)


class CallStats:
    """Counts every API request botocore sends (retries included), by `service.Operation`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.regions: Counter[str] = Counter()

    def record(self, service: str, operation: str, region: str | None = None) -> None:
        with self._lock:
            self.calls[f"{service}.{operation}"] += 1
            if region:
                self.regions[region] += 1

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    @property
    def writes(self) -> int:
        return sum(n for op, n in self.calls.items() if is_write(op.split(".", 1)[1]))


@dataclass(frozen=True)
class Scope:
    """Where a stack lives: what references such as `topic:NAME` resolve against."""

    region: str
    account_id: str
    partition: str = "aws"

    def arn(self, service: str, resource: str, region: str | None = None) -> str:
        region = self.region if region is None else region
        return f"arn:{self.partition}:{service}:{region}:{self.account_id}:{resource}"


def _refuse_unusable(session: boto3.Session, no_region: str) -> None:
    if not session.region_name:
        raise ObsctlError(no_region)
    if session.get_credentials() is None:
        raise ObsctlError("no AWS credentials found: set AWS_PROFILE / --profile, "
                          "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run `aws sso login`")


class SharedReads:
    """Listings shared by every AwsContext of a run that works in the same account and region.

    Stacks of one account and region see the same alarms, log groups and tagged resources:
    one read of each listing serves them all (each stack then takes its own part), so a run
    of many stacks costs what one listing per account-region costs. Keyed by (endpoint,
    partition, account id, region, listing); the account is the caller identity after role
    assumption. One per run: a later command reads afresh."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._futures: dict = {}
        self.creating = threading.Lock()  # held while a client is made from a session

    def botocore_session(self, profile: str | None = None) -> botocore.session.Session:
        """A new botocore session sharing the run's data loader (per profile: its config may
        name a data path): each session would otherwise read and parse the same service
        models and endpoint rules again, tens of milliseconds per session."""
        session = botocore.session.Session(profile=profile)
        session.register_component("data_loader", self.once(
            ("data loader", profile), lambda: botocore.session.Session(
                profile=profile).get_component("data_loader")))
        return session

    def once(self, key, load):
        """`load()` once for `key`; a concurrent caller waits for it instead of reading again."""
        with self._lock:
            future, owner = self._futures.get(key), False
            if future is None:
                future, owner = Future(), True
                self._futures[key] = future
        if owner:
            try:
                future.set_result(load())
            except BaseException as error:
                future.set_exception(error)
        return future.result()


@dataclass
class AwsContext:
    session: boto3.Session
    endpoint_url: str | None = None
    max_attempts: int = field(default_factory=lambda: int(
        os.environ.get("AWS_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS)))
    retry_mode: str = field(default_factory=lambda: os.environ.get(
        "AWS_RETRY_MODE", DEFAULT_RETRY_MODE))
    stats: CallStats = field(default_factory=CallStats)
    _clients: dict = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _scope: Scope | None = None
    shared: SharedReads = field(default_factory=SharedReads)

    @classmethod
    def create(cls, *, region: str | None = None, profile: str | None = None,
               role_arn: str | None = None, role_external_id: str | None = None,
               role_duration_seconds: int | None = None, endpoint_url: str | None = None,
               stats: CallStats | None = None) -> "AwsContext":
        session = boto3.Session(profile_name=profile, region_name=region)
        return cls._of_session(session, role_arn=role_arn, role_external_id=role_external_id,
                               role_duration_seconds=role_duration_seconds,
                               endpoint_url=endpoint_url, stats=stats)

    @classmethod
    def _of_session(cls, session: boto3.Session, *, role_arn: str | None,
                    role_external_id: str | None, role_duration_seconds: int | None,
                    endpoint_url: str | None, stats: CallStats | None,
                    shared: SharedReads | None = None) -> "AwsContext":
        endpoint_url = endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or None
        context = cls(session=session, endpoint_url=endpoint_url, stats=stats or CallStats(),
                      shared=shared or SharedReads())
        if role_arn:
            # One AssumeRole per source credentials and role in a run, whatever the region
            # and however many stacks assume it; one session per region on top.
            role = (role_arn, role_external_id, role_duration_seconds)
            source = (context.endpoint_url, context._access_key(), *role)
            credentials = context.shared.once(("role credentials", *source),
                                              lambda: context._assume_role(*role))
            context.session = context.shared.once(
                ("role session", *source, context.region),
                lambda: context._session_with(credentials))
        return context

    @classmethod
    def for_stack(cls, stack: Stack, *, region: str | None = None, profile: str | None = None,
                  endpoint_url: str | None = None, stats: CallStats | None = None,
                  shared: SharedReads | None = None) -> "AwsContext":
        """The clients of one stack: its region, profile and role, unless `region`/`profile`
        (the command line's) override them. Refuses, naming the setting to use, when no region
        or no credentials can be found, before any call is made."""
        shared = shared or SharedReads()
        profile, region = profile or stack.config.profile, region or stack.region
        # One session per profile and region in a run: a session costs tens of milliseconds
        # (it reads service models and configuration from disk), a run may plan hundreds of
        # stacks. Its credentials are resolved once, before it is shared.
        session = shared.once(("session", profile, region),
                              lambda: _resolved_session(shared, profile, region))
        _refuse_unusable(session, f"no AWS region for stack {stack.name}: set `region:` in the "
                                  "stack, --region, or AWS_REGION/AWS_DEFAULT_REGION")
        return cls._of_session(session, **role_settings(stack.config), endpoint_url=endpoint_url,
                               stats=stats, shared=shared)

    @classmethod
    def for_command_line(cls, *, region: str | None = None, profile: str | None = None,
                         endpoint_url: str | None = None, stats: CallStats | None = None
                         ) -> "AwsContext":
        """The clients of a command that has no stack (export-logs): --region/--profile or the
        AWS environment. Refuses like for_stack, before any call is made."""
        session = boto3.Session(profile_name=profile, region_name=region)
        _refuse_unusable(session, "no AWS region: pass --region or set AWS_REGION/"
                                  "AWS_DEFAULT_REGION (or a region in the AWS profile)")
        return cls._of_session(session, role_arn=None, role_external_id=None,
                               role_duration_seconds=None, endpoint_url=endpoint_url, stats=stats)

    @property
    def region(self) -> str:
        return self.session.region_name or "us-east-1"

    def client(self, service: str):
        """One client per service, created once: boto3 clients are thread-safe, sessions are
        not. Contexts of a run with the same credentials, region and endpoint share it (a
        client costs tens of milliseconds to create; a run may plan hundreds of stacks)."""
        with self._lock:
            if service not in self._clients:
                key = ("client", service, self.endpoint_url, self.region, self._access_key(),
                       self.max_attempts, self.retry_mode, id(self.stats))
                self._clients[service] = self.shared.once(
                    key, lambda: self._new_client(self.session, service))
            return self._clients[service]

    def _new_client(self, session: boto3.Session, service: str, **credentials):
        config = botocore.config.Config(
            retries={"mode": self.retry_mode, "total_max_attempts": self.max_attempts},
            max_pool_connections=32,
            # CloudTrail records it (userAgent): `plan --explain-drift` skips our own writes.
            user_agent_extra=USER_AGENT,
        )
        with self.shared.creating:  # a session may be shared; sessions are not thread-safe
            client = session.client(service, endpoint_url=self.endpoint_url, config=config,
                                    **credentials)
        # before-sign fires once per attempt, so retries are counted as the calls they are.
        client.meta.events.register("before-sign", self._count(service))
        if client.meta.service_model.resolved_protocol in ("json", "rest-json"):
            client.meta.events.register("before-parse", _reject_unparsable_json)
        client.meta.events.register("after-call-error", _name_operation)
        if ratelimit.enabled(self.endpoint_url):
            client.meta.events.register("before-call", self._pace(service))
        return client

    def _count(self, service: str):
        def on_sign(operation_name, **_):
            self.stats.record(service, operation_name, self.region)
        return on_sign

    def read_once(self, key, load):
        """`load()` once per account and region for `key`: kinds that need the same listing
        (metric and composite alarms both page DescribeAlarms) and stacks of the run that
        work in the same account and region share one read (SharedReads)."""
        return self.shared.once((*self.account_region, key), load)

    @property
    def account_region(self) -> tuple:
        """Equal for contexts that see the same resources: (endpoint, partition, account, region)."""
        scope = self.scope
        return (self.endpoint_url, scope.partition, scope.account_id, self.region)

    def _pace(self, service: str):
        def before_call(model, **_):
            operation = f"{service}.{model.name}"
            if operation in ratelimit.AWS_RATES:  # STS is not: the account is known first
                ratelimit.bucket(self.account_region, operation).take()
        return before_call

    @property
    def scope(self) -> Scope:
        if self._scope is None:
            # One GetCallerIdentity per set of credentials in a run, whatever the region.
            identity = self.shared.once(("identity", self.endpoint_url, self._access_key()),
                                        self.client("sts").get_caller_identity)
            partition = identity["Arn"].split(":")[1] if identity.get("Arn") else "aws"
            self._scope = Scope(region=self.region, account_id=identity["Account"], partition=partition)
        return self._scope

    def _access_key(self) -> str | None:
        credentials = self.session.get_credentials()
        return credentials.get_frozen_credentials().access_key if credentials else None

    def _assume_role(self, role_arn: str, external_id: str | None,
                     duration_seconds: int | None) -> RefreshableCredentials:
        """The role's credentials, which botocore renews (AssumeRole again) before they
        expire: a paced apply of thousands of alarms outlives one role session."""
        source = self.session.get_credentials()
        if source is None:
            raise NoCredentialsError()
        request = {"RoleSessionName": "obsctl"}
        if external_id:
            request["ExternalId"] = external_id
        if duration_seconds:
            request["DurationSeconds"] = duration_seconds
        advisory, mandatory = refresh_windows(duration_seconds or DEFAULT_SESSION_SECONDS)
        fetcher = AssumeRoleCredentialFetcher(
            client_creator=lambda service, **keys: self._new_client(self.session, service, **keys),
            source_credentials=source, role_arn=role_arn, extra_args=request,
            expiry_window_seconds=advisory)
        return RefreshableCredentials.create_from_metadata(
            fetcher.fetch_credentials(), refresh_using=fetcher.fetch_credentials,
            method="assume-role", advisory_timeout=advisory, mandatory_timeout=mandatory)

    def _session_with(self, credentials: RefreshableCredentials) -> boto3.Session:
        """A session in this context's region with the role's `credentials`."""
        assumed = self.shared.botocore_session()
        assumed.register_component("credential_provider",
                                   CredentialResolver([_Credentials(credentials)]))
        return boto3.Session(botocore_session=assumed, region_name=self.session.region_name)


def _resolved_session(shared: SharedReads, profile: str | None,
                      region: str | None) -> boto3.Session:
    session = boto3.Session(botocore_session=shared.botocore_session(profile), region_name=region)
    session.get_credentials()
    return session


DEFAULT_SESSION_SECONDS = 3600  # STS AssumeRole's DurationSeconds default


def role_settings(config) -> dict:
    """`AwsContext.create` keywords for a stack config's role: arn, ExternalId, duration."""
    return {"role_arn": config.role_arn, "role_external_id": config.role_external_id,
            "role_duration_seconds": config.role_duration_seconds}


def refresh_windows(session_seconds: int) -> tuple[int, int]:
    """(advisory, mandatory) seconds before expiry at which botocore renews the credentials.

    botocore's are 15 and 10 minutes; with a 15-minute session (the shortest STS grants) that
    would be an AssumeRole before every request (boto/botocore#2189). Shorter sessions renew in
    their last third (advisory: one thread tries, the others go on) and sixth (mandatory)."""
    return min(15 * 60, session_seconds // 3), min(10 * 60, session_seconds // 6)


class _Credentials(CredentialProvider):
    """Hands botocore's credential chain the role's refreshable credentials."""

    METHOD = "assume-role"

    def __init__(self, credentials: RefreshableCredentials) -> None:
        super().__init__()
        self._credentials = credentials

    def load(self):
        return self._credentials


def _reject_unparsable_json(operation_model, response_dict, **_):
    """botocore's JSON parser reads a body it cannot parse as {"message": body}, so an answer
    cut short would pass as an empty one (DescribeAlarms: "no alarms"); XML and CBOR parsers
    raise ResponseParserError for it. Make JSON do the same."""
    body = response_dict.get("body")
    if (response_dict.get("status_code", 500) >= 300 or not body
            or operation_model.has_streaming_output):
        return
    try:
        json.loads(body)
    except ValueError as error:
        raise ResponseParserError(f"Unable to parse response ({error}), invalid JSON "
                                  "received") from None


def _name_operation(exception, event_name, **_):
    # ClientError names its operation; a parse error does not: the message needs it.
    if isinstance(exception, ResponseParserError):
        exception.operation_name = event_name.rsplit(".", 1)[-1]
