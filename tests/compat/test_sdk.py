"""The official Svix Python SDK (2.9.1) against a running Sluice server.

Each test calls SDK methods exactly as an application using Svix would, and asserts on the
values of the parsed models (the SDK raising or mis-parsing is a compatibility failure).
Deliveries are received on a local HTTP server and verified with `standardwebhooks` and with
`svix.webhooks`, the receiver-side libraries a Svix customer's customers use.
"""

from __future__ import annotations

import base64
import json
import os
import time
import typing as t
from datetime import datetime, timedelta, timezone

import httpx
import pytest
import standardwebhooks
from svix.api import (
    AppPortalAccessIn,
    AppPortalCapability,
    ApplicationCreateOptions,
    ApplicationIn,
    ApplicationListOptions,
    ApplicationPatch,
    ApplicationTokenExpireIn,
    BackgroundTaskStatus,
    BackgroundTaskType,
    EndpointHeadersIn,
    EndpointHeadersPatchIn,
    EndpointIn,
    EndpointListOptions,
    EndpointOut,
    EndpointPatch,
    EndpointSecretRotateIn,
    EndpointUpsertIn,
    EventExampleIn,
    EventTypeIn,
    EventTypeListOptions,
    EventTypePatch,
    EventTypeUpsertIn,
    MessageAttemptListAttemptedDestinationsOptions,
    MessageAttemptListAttemptedMessagesOptions,
    MessageAttemptListByEndpointOptions,
    MessageAttemptListByMsgOptions,
    MessageAttemptTriggerType,
    MessageCreateOptions,
    MessageGetOptions,
    MessageIn,
    MessageListOptions,
    MessageStatus,
    MessageStatusText,
    OperationalWebhookEndpointHeadersIn,
    OperationalWebhookEndpointIn,
    OperationalWebhookEndpointListOptions,
    OperationalWebhookEndpointSecretIn,
    OperationalWebhookEndpointUpsertIn,
    Ordering,
    RecoverIn,
    StatusCodeClass,
    Svix,
)
from svix.exceptions import HttpError, HTTPValidationError
from svix.webhooks import Webhook as SvixWebhook
from svix.webhooks import WebhookVerificationError

from conftest import WAIT, Receiver, make_client, unique, wait_for

# --- helpers ------------------------------------------------------------------------------


def assert_recent(ts: datetime, what: str = "timestamp") -> None:
    """A parsed, timezone-aware time within a few minutes of now (same machine's clock)."""
    assert isinstance(ts, datetime), f"{what} is {ts!r}"
    assert ts.tzinfo is not None, f"{what} {ts!r} has no timezone"
    delta = abs(datetime.now(timezone.utc) - ts)
    assert delta < timedelta(minutes=5), f"{what} {ts.isoformat()} is {delta} away from now"


def http_error(exc_info) -> HttpError:
    err = exc_info.value
    assert isinstance(err, HttpError), f"expected svix HttpError, got {type(err).__name__}: {err}"
    return err


def walk(fetch: t.Callable[[t.Optional[str]], t.Any], limit: int, max_pages: int = 200) -> t.List[t.Any]:
    """Follows `iterator` until `done`, asserting page sizes; returns all items in order."""
    items: t.List[t.Any] = []
    iterator: t.Optional[str] = None
    for _ in range(max_pages):
        page = fetch(iterator)
        assert isinstance(page.done, bool)
        assert len(page.data) <= limit, f"page of {len(page.data)} items with limit={limit}"
        items.extend(page.data)
        if page.done:
            return items
        assert page.iterator, "done=false but no iterator to continue with"
        assert page.iterator != iterator, "iterator did not advance"
        iterator = page.iterator
    raise AssertionError(f"pagination did not finish within {max_pages} pages")


def random_secret() -> str:
    return "whsec_" + base64.b64encode(os.urandom(24)).decode()


def verify_both(secret: str, d) -> t.Any:
    """Verifies a delivery with standardwebhooks and with svix.webhooks; returns the parsed body."""
    parsed = standardwebhooks.Webhook(secret).verify(d.body, d.headers)
    SvixWebhook(secret).verify(d.body, d.headers)
    return parsed


def make_endpoint(svix: Svix, app_id: str, url: str, **kw) -> EndpointOut:
    return svix.endpoint.create(app_id, EndpointIn(url=url, uid=unique("ep"), **kw))


def attempts_of(svix: Svix, app_id: str, msg_id: str, **kw) -> t.List[t.Any]:
    return walk(
        lambda it: svix.message_attempt.list_by_msg(
            app_id, msg_id, MessageAttemptListByMsgOptions(limit=50, iterator=it, **kw)
        ),
        50,
    )


# --- health and auth ----------------------------------------------------------------------


def test_health(svix: Svix, server_url: str):
    assert svix.health.get() is None  # the SDK raises on anything but 2xx
    r = httpx.get(f"{server_url}/api/v1/health/ping", timeout=5)
    assert 200 <= r.status_code < 300


def test_bad_token_is_401(server_url: str):
    bogus = make_client("not-a-token", server_url)
    with pytest.raises(HttpError) as ei:
        bogus.application.list()
    assert http_error(ei).status_code == 401


# --- applications -------------------------------------------------------------------------


def test_application_crud(svix: Svix):
    uid = unique("app")
    app = svix.application.create(
        ApplicationIn(name="Compat App", uid=uid, metadata={"tier": "gold"}, throttle_rate=100)
    )
    try:
        assert app.id.startswith("app_")
        assert app.name == "Compat App"
        assert app.uid == uid
        assert app.metadata == {"tier": "gold"}
        assert app.throttle_rate == 100
        assert_recent(app.created_at, "createdAt")
        assert_recent(app.updated_at, "updatedAt")

        by_id = svix.application.get(app.id)
        by_uid = svix.application.get(uid)
        for got in (by_id, by_uid):
            assert (got.id, got.uid, got.name, got.metadata) == (app.id, uid, "Compat App", {"tier": "gold"})

        # PUT: the SDK's update is `upsert`.
        put = svix.application.upsert(app.id, ApplicationIn(name="Renamed", uid=uid, metadata={"tier": "silver"}))
        assert (put.id, put.name, put.uid, put.metadata) == (app.id, "Renamed", uid, {"tier": "silver"})
        assert put.updated_at >= app.updated_at
        assert svix.application.get(app.id).name == "Renamed"

        # PATCH changes only what it names.
        patched = svix.application.patch(app.id, ApplicationPatch(name="Patched"))
        assert (patched.id, patched.name, patched.uid, patched.metadata) == (app.id, "Patched", uid, {"tier": "silver"})
        patched = svix.application.patch(uid, ApplicationPatch(metadata={"tier": "bronze", "x": "y"}))
        assert (patched.name, patched.metadata) == ("Patched", {"tier": "bronze", "x": "y"})
    finally:
        svix.application.delete(app.id)

    for key in (app.id, uid):
        with pytest.raises(HttpError) as ei:
            svix.application.get(key)
        err = http_error(ei)
        assert err.status_code == 404
        assert err.code == "not_found", f"404 code {err.code!r} detail {err.detail!r}"

    # A deleted application's uid is free again.
    again = svix.application.create(ApplicationIn(name="Again", uid=uid))
    assert again.id != app.id and svix.application.get(uid).id == again.id
    svix.application.delete(again.id)


def test_application_upsert_creates(svix: Svix):
    uid = unique("app")
    created = svix.application.upsert(uid, ApplicationIn(name="Upserted", uid=uid))
    try:
        assert created.id.startswith("app_")
        assert (created.uid, created.name, created.metadata) == (uid, "Upserted", {})
        assert svix.application.get(uid).id == created.id
    finally:
        svix.application.delete(created.id)


def test_application_get_or_create(svix: Svix):
    uid = unique("app")
    first = svix.application.get_or_create(ApplicationIn(name="First", uid=uid))
    try:
        assert first.id.startswith("app_") and first.uid == uid and first.name == "First"
        second = svix.application.get_or_create(ApplicationIn(name="Second", uid=uid))
        assert second.id == first.id
        assert second.name == "First", "get_or_create must return the existing app unchanged"
        # A plain create with a taken uid is a conflict.
        with pytest.raises(HttpError) as ei:
            svix.application.create(ApplicationIn(name="Third", uid=uid))
        assert http_error(ei).status_code == 409
    finally:
        svix.application.delete(first.id)


def test_application_list_paging(svix: Svix):
    prefix = unique("page")
    created = [svix.application.create(ApplicationIn(name=f"p{i}", uid=f"{prefix}-{i}")) for i in range(7)]
    mine = {a.id for a in created}
    try:
        for order in (None, Ordering.ASCENDING, Ordering.DESCENDING):
            items = walk(
                lambda it: svix.application.list(ApplicationListOptions(limit=3, iterator=it, order=order)),
                3,
            )
            ids = [a.id for a in items]
            assert len(ids) == len(set(ids)), f"order={order}: an application was listed twice"
            assert mine <= set(ids), f"order={order}: missing {mine - set(ids)}"
            if order is Ordering.ASCENDING:
                assert ids == sorted(ids), "ascending listing is not in id order"
            if order is Ordering.DESCENDING:
                assert ids == sorted(ids, reverse=True), "descending listing is not in reverse id order"
            for a in items:
                if a.id in mine:
                    assert a.uid.startswith(prefix) and a.metadata == {}
                    assert_recent(a.created_at)

        first = svix.application.list(ApplicationListOptions(limit=1))
        assert len(first.data) == 1 and first.done is False and first.iterator
    finally:
        for a in created:
            svix.application.delete(a.id)


# --- event types --------------------------------------------------------------------------


def all_event_types(svix: Svix, **kw) -> t.Dict[str, t.Any]:
    items = walk(lambda it: svix.event_type.list(EventTypeListOptions(limit=50, iterator=it, **kw)), 50)
    names = [e.name for e in items]
    assert len(names) == len(set(names)), "an event type was listed twice"
    return {e.name: e for e in items}


def test_event_type_crud(svix: Svix):
    name = f"{unique('user')}.signup"
    schema = {"1": {"type": "object", "properties": {"id": {"type": "string"}}}}
    et = svix.event_type.create(EventTypeIn(name=name, description="A user signed up", schemas=schema))
    assert et.name == name
    assert et.description == "A user signed up"
    assert et.deprecated is False
    assert not et.archived
    assert et.schemas == schema
    assert_recent(et.created_at)
    assert_recent(et.updated_at)

    got = svix.event_type.get(name)
    assert (got.name, got.description, got.schemas, got.deprecated) == (name, "A user signed up", schema, False)

    # Duplicate name: conflict.
    with pytest.raises(HttpError) as ei:
        svix.event_type.create(EventTypeIn(name=name, description="again"))
    assert http_error(ei).status_code == 409

    listed = all_event_types(svix)
    assert name in listed and listed[name].description == "A user signed up"
    with_content = all_event_types(svix, with_content=True)
    assert with_content[name].schemas == schema

    put = svix.event_type.upsert(name, EventTypeUpsertIn(description="Updated", schemas=schema))
    assert (put.name, put.description) == (name, "Updated")

    patched = svix.event_type.patch(name, EventTypePatch(deprecated=True))
    assert (patched.name, patched.description, patched.deprecated) == (name, "Updated", True)
    patched = svix.event_type.patch(name, EventTypePatch(description="Patched"))
    assert (patched.description, patched.deprecated) == ("Patched", True)

    svix.event_type.delete(name)  # archives
    assert name not in all_event_types(svix)
    archived = all_event_types(svix, include_archived=True)
    assert name in archived and archived[name].archived is True

    restored = svix.event_type.patch(name, EventTypePatch(archived=False))
    assert restored.archived is False
    assert name in all_event_types(svix)


def test_event_type_upsert_creates(svix: Svix):
    name = f"{unique('order')}.paid"
    et = svix.event_type.upsert(name, EventTypeUpsertIn(description="Order paid"))
    assert (et.name, et.description, et.deprecated) == (name, "Order paid", False)
    assert svix.event_type.get(name).description == "Order paid"


def test_event_type_list_paging(svix: Svix):
    prefix = unique("paging")
    names = {f"{prefix}.e{i}" for i in range(5)}
    for n in names:
        svix.event_type.create(EventTypeIn(name=n, description=n))
    items = walk(lambda it: svix.event_type.list(EventTypeListOptions(limit=2, iterator=it)), 2)
    listed = [e.name for e in items]
    assert len(listed) == len(set(listed)), "an event type was listed twice"
    assert names <= set(listed)


# --- endpoints ----------------------------------------------------------------------------


def test_endpoint_crud(svix: Svix, app, event_types):
    et1, et2 = event_types
    uid = unique("ep")
    ep = svix.endpoint.create(
        app.id,
        EndpointIn(
            url="http://127.0.0.1:9/crud",
            uid=uid,
            description="compat endpoint",
            event_types=[et1, et2],
            channels=["project-1", "project-2"],
            metadata={"owner": "compat"},
            throttle_rate=50,
        ),
    )
    assert ep.id.startswith("ep_")
    assert ep.url == "http://127.0.0.1:9/crud"
    assert ep.uid == uid
    assert ep.description == "compat endpoint"
    assert sorted(ep.event_types or []) == sorted([et1, et2])
    assert sorted(ep.channels or []) == ["project-1", "project-2"]
    assert ep.metadata == {"owner": "compat"}
    assert ep.throttle_rate == 50
    assert not ep.disabled
    assert_recent(ep.created_at)
    assert_recent(ep.updated_at)

    for key in (ep.id, uid):
        got = svix.endpoint.get(app.id, key)
        assert (got.id, got.url, got.uid, got.metadata) == (ep.id, ep.url, uid, {"owner": "compat"})
        assert sorted(got.event_types or []) == sorted([et1, et2])
    assert svix.endpoint.get(app.uid, ep.id).id == ep.id  # app by uid too

    listed = svix.endpoint.list(app.id)
    assert [e.id for e in listed.data] == [ep.id]
    assert listed.done is True

    # PUT (the SDK's update is `upsert`) replaces the endpoint's settings.
    put = svix.endpoint.upsert(
        app.id,
        ep.id,
        EndpointUpsertIn(
            url="http://127.0.0.1:9/put",
            uid=uid,
            description="put",
            event_types=[et1],
            channels=["project-3"],
            metadata={"owner": "put"},
        ),
    )
    assert (put.id, put.url, put.description, put.event_types, put.channels, put.metadata) == (
        ep.id,
        "http://127.0.0.1:9/put",
        "put",
        [et1],
        ["project-3"],
        {"owner": "put"},
    )

    # PATCH changes only what it names.
    patched = svix.endpoint.patch(app.id, ep.id, EndpointPatch(description="patched"))
    assert (patched.description, patched.url, patched.event_types, patched.channels, patched.metadata) == (
        "patched",
        "http://127.0.0.1:9/put",
        [et1],
        ["project-3"],
        {"owner": "put"},
    )
    patched = svix.endpoint.patch(app.id, uid, EndpointPatch(disabled=True, event_types=[et2]))
    assert patched.disabled is True and patched.event_types == [et2] and patched.description == "patched"

    svix.endpoint.delete(app.id, ep.id)
    with pytest.raises(HttpError) as ei:
        svix.endpoint.get(app.id, ep.id)
    assert http_error(ei).status_code == 404
    assert svix.endpoint.list(app.id).data == []

    # A deleted endpoint's uid is free again.
    again = svix.endpoint.create(app.id, EndpointIn(url="http://127.0.0.1:9/again", uid=uid))
    assert again.id != ep.id and svix.endpoint.get(app.id, uid).id == again.id


def test_endpoint_upsert_creates(svix: Svix, app):
    uid = unique("ep")
    ep = svix.endpoint.upsert(app.id, uid, EndpointUpsertIn(url="http://127.0.0.1:9/new", uid=uid))
    assert ep.id.startswith("ep_") and ep.uid == uid and ep.url == "http://127.0.0.1:9/new"
    assert svix.endpoint.get(app.id, uid).id == ep.id


def test_endpoint_list_paging(svix: Svix, app):
    made = [make_endpoint(svix, app.id, f"http://127.0.0.1:9/p{i}") for i in range(5)]
    for order in (None, Ordering.ASCENDING, Ordering.DESCENDING):
        items = walk(
            lambda it: svix.endpoint.list(app.id, EndpointListOptions(limit=2, iterator=it, order=order)), 2
        )
        ids = [e.id for e in items]
        assert sorted(ids) == sorted(e.id for e in made), f"order={order}: got {ids}"
        if order is Ordering.ASCENDING:
            assert ids == sorted(ids)
        if order is Ordering.DESCENDING:
            assert ids == sorted(ids, reverse=True)

    # prevIterator of page 2 leads back to page 1.
    opts = dict(limit=2, order=Ordering.ASCENDING)
    page1 = svix.endpoint.list(app.id, EndpointListOptions(**opts))
    page2 = svix.endpoint.list(app.id, EndpointListOptions(iterator=page1.iterator, **opts))
    assert page2.prev_iterator, "page 2 has no prevIterator"
    back = svix.endpoint.list(app.id, EndpointListOptions(iterator=page2.prev_iterator, **opts))
    assert [e.id for e in back.data] == [e.id for e in page1.data]


def test_endpoint_accepts_legacy_filter_types(svix: Svix, app, event_types, server_url: str, token: str):
    """Older clients send `filterTypes` (the deprecated name of `eventTypes`)."""
    r = httpx.post(
        f"{server_url}/api/v1/app/{app.id}/endpoint",
        headers={"authorization": f"Bearer {token}"},
        json={"url": "http://127.0.0.1:9/legacy", "filterTypes": [event_types[0]]},
        timeout=10,
    )
    assert r.status_code == 201, r.text
    ep = EndpointOut.model_validate(r.json())
    assert ep.event_types == [event_types[0]]


def test_endpoint_secret_rotation(svix: Svix, app):
    ep = make_endpoint(svix, app.id, "http://127.0.0.1:9/secret")
    first = svix.endpoint.get_secret(app.id, ep.id)
    assert first.key.startswith("whsec_")
    assert len(base64.b64decode(first.key[len("whsec_") :] + "==")) >= 24
    assert svix.endpoint.get_secret(app.id, ep.uid).key == first.key

    # SDK 2.9.1 parses the rotate response as EndpointSecretOut: the new key.
    rotated = svix.endpoint.rotate_secret(app.id, ep.id, EndpointSecretRotateIn())
    assert rotated.key.startswith("whsec_")
    assert rotated.key != first.key
    assert svix.endpoint.get_secret(app.id, ep.id).key == rotated.key

    chosen = random_secret()
    rotated2 = svix.endpoint.rotate_secret(app.id, ep.id, EndpointSecretRotateIn(key=chosen))
    assert rotated2.key == chosen
    assert svix.endpoint.get_secret(app.id, ep.id).key == chosen

    # A secret given at creation is kept.
    given = random_secret()
    ep2 = svix.endpoint.create(app.id, EndpointIn(url="http://127.0.0.1:9/given", secret=given))
    assert svix.endpoint.get_secret(app.id, ep2.id).key == given


def test_endpoint_headers(svix: Svix, app):
    ep = make_endpoint(svix, app.id, "http://127.0.0.1:9/headers")
    empty = svix.endpoint.get_headers(app.id, ep.id)
    assert empty.headers == {} and empty.sensitive == []

    svix.endpoint.set_headers(
        app.id, ep.id, EndpointHeadersIn(headers={"X-Foo": "bar", "X-Bar": "baz", "Authorization": "Bearer s3cret"})
    )
    out = svix.endpoint.get_headers(app.id, ep.id)
    plain = {k.lower(): v for k, v in out.headers.items()}
    assert plain == {"x-foo": "bar", "x-bar": "baz"}, "sensitive headers must not be returned in clear"
    assert [s.lower() for s in out.sensitive] == ["authorization"]
    assert "s3cret" not in json.dumps(out.model_dump())

    svix.endpoint.patch_headers(
        app.id, ep.id, EndpointHeadersPatchIn(headers={"X-Baz": "qux"}, delete_headers=["X-Foo"])
    )
    out = svix.endpoint.get_headers(app.id, ep.id)
    plain = {k.lower(): v for k, v in out.headers.items()}
    assert plain == {"x-bar": "baz", "x-baz": "qux"}
    assert [s.lower() for s in out.sensitive] == ["authorization"]

    # PUT replaces the whole set.
    svix.endpoint.set_headers(app.id, ep.id, EndpointHeadersIn(headers={"X-Only": "1"}))
    out = svix.endpoint.get_headers(app.id, ep.id)
    assert {k.lower(): v for k, v in out.headers.items()} == {"x-only": "1"} and out.sensitive == []


def test_endpoint_send_example_and_stats(svix: Svix, app, receiver: Receiver):
    ep = make_endpoint(svix, app.id, receiver.url)
    msg = svix.endpoint.send_example(app.id, ep.id, EventExampleIn(event_type="svix.ping"))
    assert msg.id.startswith("msg_")
    assert msg.event_type == "svix.ping"
    assert_recent(msg.timestamp)
    got = receiver.wait_msgs([msg.id])[msg.id]
    secret = svix.endpoint.get_secret(app.id, ep.id).key
    body = verify_both(secret, got)
    assert isinstance(body, dict) and body, "svix.ping example payload should be a non-empty object"

    # An example from the event type's schema.
    name = f"{unique('example')}.created"
    example = {"id": "obj_123", "amount": 42}
    svix.event_type.create(
        EventTypeIn(
            name=name,
            description="with example",
            schemas={"1": {"type": "object", "examples": [example]}},
        )
    )
    msg2 = svix.endpoint.send_example(app.id, ep.id, EventExampleIn(event_type=name))
    assert msg2.event_type == name
    got2 = receiver.wait_msgs([msg2.id])[msg2.id]
    assert verify_both(secret, got2) == example

    def stats_ok():
        s = svix.endpoint.get_stats(app.id, ep.id)
        return s if s.success >= 2 else None

    stats = wait_for("endpoint stats to count 2 successes", stats_ok)
    assert (stats.fail, stats.pending, stats.sending, stats.canceled) == (0, 0, 0, 0)
    assert all(isinstance(v, int) for v in (stats.success, stats.fail, stats.pending, stats.sending))
    # The attempts behind them (`get_attempt_stats`, by hour windows, the last 28 days).
    tries = svix.endpoint.get_attempt_stats(app.id, ep.id)
    assert (tries.success, tries.fail, tries.canceled) == (2, 0, 0)


def test_endpoint_recover(svix: Svix, app, receiver: Receiver):
    # Three failures exhaust the delivery (schedule 1,1 = three tries); recover re-sends it.
    receiver.statuses.extend([500, 500, 500])
    ep = make_endpoint(svix, app.id, receiver.url)
    since = datetime.now(timezone.utc) - timedelta(minutes=1)
    msg = svix.message.create(app.id, MessageIn(event_type="compat.recover", payload={"n": 1}))

    def exhausted():
        dests = svix.message_attempt.list_attempted_destinations(app.id, msg.id).data
        mine = [d for d in dests if d.id == ep.id]
        return mine[0] if mine and mine[0].status == MessageStatus.FAIL and mine[0].next_attempt is None else None

    dest = wait_for("the delivery to be exhausted", exhausted)
    assert dest.status_text == MessageStatusText.FAIL
    assert len(attempts_of(svix, app.id, msg.id)) == 3
    before = svix.endpoint.get_stats(app.id, ep.id)
    assert before.fail >= 1 and before.success == 0

    task = svix.endpoint.recover(app.id, ep.id, RecoverIn(since=since))
    assert task.id.startswith("qtask_")
    assert task.task == BackgroundTaskType.ENDPOINT_RECOVER
    assert task.status == BackgroundTaskStatus.RUNNING
    assert_recent(task.updated_at)
    followed = wait_for(
        "the recover task to finish",
        lambda: (lambda t: t if t.status == BackgroundTaskStatus.FINISHED else None)(svix.background_task.get(task.id)),
    )
    assert followed.task == BackgroundTaskType.ENDPOINT_RECOVER
    assert (followed.data["messagesSent"], followed.data["total"]) == (1, 1)

    wait_for("the recovered delivery", lambda: len(receiver.for_msg(msg.id)) >= 4)

    def recovered():
        atts = attempts_of(svix, app.id, msg.id)
        ok = [a for a in atts if a.status == MessageStatus.SUCCESS]
        return atts if ok else None

    atts = wait_for("a successful attempt after recover", recovered)
    ok = [a for a in atts if a.status == MessageStatus.SUCCESS]
    assert len(ok) == 1 and len(atts) == 4
    after = wait_for(
        "stats to show the recovered success",
        lambda: (lambda s: s if s.success >= 1 else None)(svix.endpoint.get_stats(app.id, ep.id)),
    )
    assert after.success == 1 and after.fail == 0
    dest = svix.message_attempt.list_attempted_destinations(app.id, msg.id).data
    assert [(x.id, x.status) for x in dest] == [(ep.id, MessageStatus.SUCCESS)]
    # Svix sends recovered messages as manual attempts (triggerType 1), like resend.
    assert ok[0].trigger_type == MessageAttemptTriggerType.MANUAL, "recover's attempt should be triggerType=1 (manual)"


def test_endpoint_recover_window_is_bounded(svix: Svix, app):
    ep = make_endpoint(svix, app.id, "http://127.0.0.1:9/recover")
    with pytest.raises(HTTPValidationError) as ei:
        svix.endpoint.recover(app.id, ep.id, RecoverIn(since=datetime.now(timezone.utc) - timedelta(days=30)))
    _check_422(ei)


# --- messages -----------------------------------------------------------------------------


def test_message_create_get_conflict(svix: Svix, app, event_types):
    et1, _ = event_types
    event_id = unique("evt")
    payload = {"type": et1, "data": {"id": 7, "name": "Ünïcødé ✓", "nested": [1, 2.5, None, True]}}
    msg = svix.message.create(app.id, MessageIn(event_type=et1, payload=payload, event_id=event_id, channels=["ch-1"]))
    assert msg.id.startswith("msg_")
    assert msg.event_type == et1
    assert msg.event_id == event_id
    assert msg.channels == ["ch-1"]
    assert isinstance(msg.payload, dict)  # the SDK asks with_content=false
    assert_recent(msg.timestamp)

    full = svix.message.get(app.id, msg.id, MessageGetOptions(with_content=True))
    assert (full.id, full.event_type, full.event_id, full.payload) == (msg.id, et1, event_id, payload)
    assert svix.message.get(app.id, event_id).id == msg.id  # by eventId
    assert svix.message.get(app.uid, msg.id).id == msg.id  # app by uid
    assert isinstance(svix.message.get(app.id, msg.id).payload, dict)

    with pytest.raises(HttpError) as ei:
        svix.message.create(app.id, MessageIn(event_type=et1, payload={"again": True}, event_id=event_id))
    err = http_error(ei)
    assert err.status_code == 409 and err.code

    with pytest.raises(HttpError) as ei:
        svix.message.get(app.id, "msg_doesnotexist000000000000000")
    assert http_error(ei).status_code == 404
    with pytest.raises(HttpError) as ei:
        svix.message.create(unique("nope"), MessageIn(event_type=et1, payload={}))
    assert http_error(ei).status_code == 404


def test_message_create_with_inline_application(svix: Svix):
    uid = unique("inline")
    msg = svix.message.create(
        uid, MessageIn(event_type="compat.inline", payload={"a": 1}, application=ApplicationIn(name="Inline", uid=uid))
    )
    app = svix.application.get(uid)
    try:
        assert app.name == "Inline"
        assert svix.message.get(uid, msg.id).id == msg.id
    finally:
        svix.application.delete(app.id)


def test_message_list_filters(svix: Svix, app, event_types):
    et1, et2 = event_types
    t0 = datetime.now(timezone.utc) - timedelta(seconds=2)
    specs = [(et1, ["red"]), (et2, ["red", "blue"]), (et1, None), (et2, ["blue"]), (et1, ["blue"])]
    made = []
    for i, (et, ch) in enumerate(specs):
        made.append(svix.message.create(app.id, MessageIn(event_type=et, payload={"i": i}, channels=ch)))
    by_id = {m.id: m for m in made}

    def listed(**kw):
        items = walk(lambda it: svix.message.list(app.id, MessageListOptions(limit=2, iterator=it, **kw)), 2)
        ids = [m.id for m in items]
        assert len(ids) == len(set(ids)), f"{kw}: a message was listed twice"
        assert ids == sorted(ids, reverse=True), f"{kw}: messages are not newest first"
        return items

    everything = listed()
    assert {m.id for m in everything} == set(by_id)
    for m in everything:
        assert m.event_type == by_id[m.id].event_type
        assert_recent(m.timestamp)

    with_content = listed(with_content=True)
    assert {m.id: m.payload for m in with_content} == {m.id: {"i": i} for i, m in enumerate(made)}

    assert {m.id for m in listed(event_types=[et1])} == {m.id for m in made if m.event_type == et1}
    assert {m.id for m in listed(event_types=[et1, et2])} == set(by_id)
    assert {m.id for m in listed(channel="red")} == {made[0].id, made[1].id}
    assert {m.id for m in listed(channel="blue", event_types=[et2])} == {made[1].id, made[3].id}
    assert {m.id for m in listed(after=t0)} == set(by_id)
    assert listed(before=t0) == []


# --- attempts -----------------------------------------------------------------------------


def test_attempts_and_resend(svix: Svix, app, receiver: Receiver, event_types):
    et1, _ = event_types
    ep = make_endpoint(svix, app.id, receiver.url, description="attempts")
    msg = svix.message.create(app.id, MessageIn(event_type=et1, payload={"hello": "world"}, channels=["c"]))
    receiver.wait_msgs([msg.id])

    def one_success():
        atts = attempts_of(svix, app.id, msg.id)
        return atts if atts and atts[0].status == MessageStatus.SUCCESS else None

    (att,) = wait_for("the attempt to be recorded", one_success)
    assert att.id.startswith("atmpt_")
    assert (att.msg_id, att.endpoint_id, att.url) == (msg.id, ep.id, receiver.url)
    assert att.response_status_code == 200
    assert att.status == MessageStatus.SUCCESS and att.status_text == MessageStatusText.SUCCESS
    assert att.trigger_type == MessageAttemptTriggerType.SCHEDULED
    assert isinstance(att.response, str) and att.response_duration_ms >= 0
    assert_recent(att.timestamp)

    got = svix.message_attempt.get(app.id, msg.id, att.id)
    assert (got.id, got.msg_id, got.endpoint_id, got.response_status_code) == (att.id, msg.id, ep.id, 200)
    assert '"ok"' in got.response, f"stored response body {got.response!r}"

    by_ep = svix.message_attempt.list_by_endpoint(app.id, ep.id)
    assert [a.id for a in by_ep.data] == [att.id] and by_ep.done is True
    by_ep = svix.message_attempt.list_by_endpoint(
        app.id, ep.id, MessageAttemptListByEndpointOptions(status=MessageStatus.FAIL)
    )
    assert by_ep.data == []
    by_ep = svix.message_attempt.list_by_endpoint(
        app.id, ep.id, MessageAttemptListByEndpointOptions(status_code_class=StatusCodeClass.CODE2XX, with_msg=True)
    )
    assert [a.id for a in by_ep.data] == [att.id]

    full = svix.message_attempt.list_by_msg(app.id, msg.id, MessageAttemptListByMsgOptions(with_content=True))
    assert '"ok"' in full.data[0].response, f"stored response body {full.data[0].response!r}"

    filtered = svix.message_attempt.list_by_msg(
        app.id, msg.id, MessageAttemptListByMsgOptions(endpoint_id=ep.id, status=MessageStatus.SUCCESS)
    )
    assert [a.id for a in filtered.data] == [att.id]

    msgs = svix.message_attempt.list_attempted_messages(app.id, ep.id)
    assert [m.id for m in msgs.data] == [msg.id]
    em = msgs.data[0]
    assert (em.event_type, em.status, em.status_text, em.next_attempt) == (
        et1,
        MessageStatus.SUCCESS,
        MessageStatusText.SUCCESS,
        None,
    )
    assert em.channels == ["c"]
    assert_recent(em.timestamp)
    msgs = svix.message_attempt.list_attempted_messages(
        app.id, ep.id, MessageAttemptListAttemptedMessagesOptions(with_content=True, limit=10)
    )
    assert msgs.data[0].payload == {"hello": "world"}

    dests = svix.message_attempt.list_attempted_destinations(
        app.id, msg.id, MessageAttemptListAttemptedDestinationsOptions(limit=10)
    )
    assert [d.id for d in dests.data] == [ep.id]
    d = dests.data[0]
    assert (d.url, d.description, d.status, d.status_text, d.uid) == (
        receiver.url,
        "attempts",
        MessageStatus.SUCCESS,
        MessageStatusText.SUCCESS,
        ep.uid,
    )
    assert_recent(d.created_at)

    # Resend: one more (manual) attempt, the same message id on the wire.
    out = svix.message_attempt.resend(app.id, msg.id, ep.id)
    assert out.model_dump() == {}
    wait_for("the resent delivery", lambda: len(receiver.for_msg(msg.id)) >= 2)
    atts = wait_for("the resend's attempt", lambda: (lambda a: a if len(a) >= 2 else None)(attempts_of(svix, app.id, msg.id)))
    assert len(atts) == 2
    assert sorted(a.trigger_type for a in atts) == [MessageAttemptTriggerType.SCHEDULED, MessageAttemptTriggerType.MANUAL]
    assert all(a.status == MessageStatus.SUCCESS for a in atts)


def test_resend_is_a_single_manual_try(svix: Svix, app, receiver: Receiver):
    """Svix: a manual resend is one attempt; it is not retried when it fails."""
    ep = make_endpoint(svix, app.id, receiver.url)
    msg = svix.message.create(app.id, MessageIn(event_type="compat.resend", payload={"r": 1}))
    receiver.wait_msgs([msg.id])
    wait_for("the first attempt", lambda: attempts_of(svix, app.id, msg.id))
    receiver.statuses.extend([503, 503, 503])
    svix.message_attempt.resend(app.id, msg.id, ep.id)
    wait_for("the resent try", lambda: len(receiver.for_msg(msg.id)) >= 2)

    # The server's own state says no further try: the delivery is failed, nothing scheduled.
    def failed_for_good():
        d = [x for x in svix.message_attempt.list_attempted_destinations(app.id, msg.id).data if x.id == ep.id]
        return d and d[0].status == MessageStatus.FAIL and d[0].next_attempt is None

    wait_for("the manual try recorded as failed, no retry scheduled", failed_for_good)
    assert len(receiver.for_msg(msg.id)) == 2
    atts = wait_for("two attempts", lambda: (lambda a: a if len(a) >= 2 else None)(attempts_of(svix, app.id, msg.id)))
    atts.sort(key=lambda a: (a.timestamp, a.id))
    assert [(a.status, a.trigger_type, a.response_status_code) for a in atts] == [
        (MessageStatus.SUCCESS, MessageAttemptTriggerType.SCHEDULED, 200),
        (MessageStatus.FAIL, MessageAttemptTriggerType.MANUAL, 503),
    ]


def test_retries_until_success(svix: Svix, app, receiver: Receiver):
    receiver.statuses.extend([500, 500])
    ep = make_endpoint(svix, app.id, receiver.url)
    secret = svix.endpoint.get_secret(app.id, ep.id).key
    payload = {"retry": True}
    msg = svix.message.create(app.id, MessageIn(event_type="compat.retry", payload=payload))

    def three():
        atts = attempts_of(svix, app.id, msg.id)
        return atts if len(atts) >= 3 and any(a.status == MessageStatus.SUCCESS for a in atts) else None

    atts = wait_for("three attempts, the last one successful", three)
    assert len(atts) == 3, f"{len(atts)} attempts"
    atts.sort(key=lambda a: (a.timestamp, a.id))
    assert [a.status for a in atts] == [MessageStatus.FAIL, MessageStatus.FAIL, MessageStatus.SUCCESS]
    assert [a.status_text for a in atts] == [MessageStatusText.FAIL, MessageStatusText.FAIL, MessageStatusText.SUCCESS]
    assert [a.response_status_code for a in atts] == [500, 500, 200]
    assert all(a.trigger_type == MessageAttemptTriggerType.SCHEDULED for a in atts)
    assert all(a.endpoint_id == ep.id and a.msg_id == msg.id for a in atts)
    gap = (atts[1].timestamp - atts[0].timestamp).total_seconds()
    assert gap >= 0.5, f"retry came {gap:.2f} s after the first try; the schedule says ~1 s"

    failed = svix.message_attempt.list_by_msg(app.id, msg.id, MessageAttemptListByMsgOptions(status=MessageStatus.FAIL))
    assert len(failed.data) == 2
    five = svix.message_attempt.list_by_msg(
        app.id, msg.id, MessageAttemptListByMsgOptions(status_code_class=StatusCodeClass.CODE5XX)
    )
    assert len(five.data) == 2

    sent = receiver.for_msg(msg.id)
    assert [d.status for d in sent] == [500, 500, 200]
    for d in sent:  # every try is signed afresh, with the same message id
        assert verify_both(secret, d) == payload

    dest = svix.message_attempt.list_attempted_destinations(app.id, msg.id).data
    assert [(x.id, x.status) for x in dest] == [(ep.id, MessageStatus.SUCCESS)]


# --- deliveries and signatures ------------------------------------------------------------


def test_deliveries_verify(svix: Svix, app, receiver: Receiver):
    ep = make_endpoint(svix, app.id, receiver.url)
    svix.endpoint.set_headers(app.id, ep.id, EndpointHeadersIn(headers={"X-Compat": "yes"}))
    secret = svix.endpoint.get_secret(app.id, ep.id).key
    payloads = [
        {"type": "invoice.paid", "data": {"id": "in_1", "amount": 1000}},
        {"text": "quotes \" and \\ backslashes, unicode é 漢字 🎉", "n": -1.5e3},
        {"empty": {}, "list": [], "null": None},
    ]
    msgs = [svix.message.create(app.id, MessageIn(event_type="compat.delivery", payload=p)) for p in payloads]
    got = receiver.wait_msgs([m.id for m in msgs])

    for m, p in zip(msgs, payloads):
        d = got[m.id]
        assert d.headers["webhook-id"] == m.id
        assert d.headers.get("content-type", "").startswith("application/json")
        assert d.headers.get("x-compat") == "yes", "custom endpoint headers must be sent"
        ts = int(d.headers["webhook-timestamp"])
        assert abs(time.time() - ts) < 300
        assert verify_both(secret, d) == p
        assert json.loads(d.body) == p, "the body must be the published payload"
        with pytest.raises(WebhookVerificationError):
            standardwebhooks.Webhook(random_secret()).verify(d.body, d.headers)
        tampered = d.body.replace(b"}", b" }", 1)
        with pytest.raises(WebhookVerificationError):
            standardwebhooks.Webhook(secret).verify(tampered, d.headers)

    # Rotation: during the grace period every delivery carries a signature for each key.
    rotated = svix.endpoint.rotate_secret(app.id, ep.id, EndpointSecretRotateIn())
    new_secret = svix.endpoint.get_secret(app.id, ep.id).key
    assert new_secret != secret and rotated.key == new_secret
    payload = {"after": "rotation"}
    m = svix.message.create(app.id, MessageIn(event_type="compat.delivery", payload=payload))
    d = receiver.wait_msgs([m.id])[m.id]
    assert d.headers["webhook-id"] == m.id
    sigs = d.headers["webhook-signature"].split(" ")
    assert len(sigs) >= 2 and all(s.startswith("v1,") for s in sigs), d.headers["webhook-signature"]
    assert verify_both(new_secret, d) == payload
    assert verify_both(secret, d) == payload


def test_raw_payload_is_sent_as_is(svix: Svix, app, receiver: Receiver):
    """SDK 2.9.1's `message_in_raw` (transformationsParams.rawPayload): the body is sent unnormalised."""
    from svix.api.message import message_in_raw

    ep = make_endpoint(svix, app.id, receiver.url)
    secret = svix.endpoint.get_secret(app.id, ep.id).key
    raw = '{"b": 2,   "a": [1, 2.50],\n "s": "\\u00e9"}'
    msg = svix.message.create(app.id, message_in_raw("compat.raw", raw))
    assert msg.id.startswith("msg_")
    d = receiver.wait_msgs([msg.id])[msg.id]
    assert d.body == raw.encode(), f"sent {d.body!r}, expected the raw payload {raw!r}"
    verify_both(secret, d)


def test_delivery_routing_by_event_type_and_channel(svix: Svix, app, receiver: Receiver, event_types):
    et1, et2 = event_types
    a = make_endpoint(svix, app.id, receiver.url + "/a", event_types=[et1])
    b = make_endpoint(svix, app.id, receiver.url + "/b", channels=["blue"])
    c = make_endpoint(svix, app.id, receiver.url + "/c")
    make_endpoint(svix, app.id, receiver.url + "/d", disabled=True)  # gets nothing
    m1 = svix.message.create(app.id, MessageIn(event_type=et1, payload={"m": 1}))
    m2 = svix.message.create(app.id, MessageIn(event_type=et2, payload={"m": 2}, channels=["blue"]))
    m3 = svix.message.create(app.id, MessageIn(event_type=et2, payload={"m": 3}))

    def seen():
        return {(d.path.rsplit("/", 1)[-1], d.headers.get("webhook-id")) for d in receiver.received()}

    expected = {("a", m1.id), ("b", m2.id), ("c", m1.id), ("c", m2.id), ("c", m3.id)}
    wait_for("deliveries to a, b and c", lambda: expected <= seen())
    # Fan-out is committed with the message, so its delivery rows are every place it can go.
    for m, eps in [(m1, [a, c]), (m2, [b, c]), (m3, [c])]:
        dests = svix.message_attempt.list_attempted_destinations(app.id, m.id).data
        assert sorted(x.id for x in dests) == sorted(e.id for e in eps), m.event_type
    assert seen() == expected
    assert [m.id for m in svix.message_attempt.list_attempted_messages(app.id, b.id).data] == [m2.id]


# --- app portal tokens --------------------------------------------------------------------


def test_app_portal_access(svix: Svix, app, server_url: str):
    ep = make_endpoint(svix, app.id, "http://127.0.0.1:9/portal")
    other = svix.application.create(ApplicationIn(name="other", uid=unique("other")))
    try:
        other_ep = make_endpoint(svix, other.id, "http://127.0.0.1:9/other")
        access = svix.authentication.app_portal_access(app.id, AppPortalAccessIn())
        assert isinstance(access.token, str) and len(access.token) > 10
        assert isinstance(access.url, str) and access.url

        scoped = make_client(access.token, server_url)
        assert [e.id for e in scoped.endpoint.list(app.id).data] == [ep.id]
        assert scoped.endpoint.get(app.id, ep.id).url == ep.url
        for call in (
            lambda: scoped.endpoint.list(other.id),
            lambda: scoped.endpoint.get(other.id, other_ep.id),
            lambda: scoped.application.create(ApplicationIn(name="nope")),
        ):
            with pytest.raises(HttpError) as ei:
                call()
            assert http_error(ei).status_code in (401, 403)

        scoped.authentication.logout()  # 2xx, no body to parse

        # By uid, creating the application on the way.
        uid = unique("portal")
        access2 = svix.authentication.app_portal_access(
            uid, AppPortalAccessIn(application=ApplicationIn(name="Portal", uid=uid))
        )
        assert access2.token
        created = svix.application.get(uid)
        assert created.name == "Portal"
        svix.application.delete(created.id)
    finally:
        svix.application.delete(other.id)


def test_app_portal_capabilities_logout_and_expire_all(svix: Svix, app, server_url: str):
    """The SDK's capability, readOnly and session fields are honoured by the server."""
    ep = make_endpoint(svix, app.id, "http://127.0.0.1:9/caps")

    def scoped(**kw) -> Svix:
        return make_client(svix.authentication.app_portal_access(app.id, AppPortalAccessIn(**kw)).token, server_url)

    def status_of(call) -> int:
        with pytest.raises(HttpError) as ei:
            call()
        return http_error(ei).status_code

    for viewer in (scoped(capabilities=[AppPortalCapability.VIEW_BASE]), scoped(read_only=True)):
        assert [e.id for e in viewer.endpoint.list(app.id).data] == [ep.id]
        assert status_of(lambda: viewer.endpoint.get_secret(app.id, ep.id)) == 403
        assert status_of(lambda: viewer.endpoint.create(app.id, EndpointIn(url="http://127.0.0.1:9/x"))) == 403
    secret_reader = scoped(capabilities=[AppPortalCapability.VIEW_BASE, AppPortalCapability.VIEW_ENDPOINT_SECRET])
    assert secret_reader.endpoint.get_secret(app.id, ep.id).key == svix.endpoint.get_secret(app.id, ep.id).key

    # Logout ends the token; an org token cannot log out.
    gone = scoped()
    gone.authentication.logout()
    assert status_of(lambda: gone.endpoint.list(app.id)) == 401
    assert status_of(lambda: svix.authentication.logout()) == 403

    # Expire-all by session id, then for the whole app.
    alice, bob = scoped(session_id="alice"), scoped(session_id="bob")
    svix.authentication.expire_all(app.id, ApplicationTokenExpireIn(session_ids=["alice"]))
    assert status_of(lambda: alice.endpoint.list(app.id)) == 401
    assert bob.endpoint.list(app.id).data
    svix.authentication.expire_all(app.id, ApplicationTokenExpireIn())
    assert status_of(lambda: bob.endpoint.list(app.id)) == 401


# --- validation errors --------------------------------------------------------------------


def _check_422(exc_info) -> HTTPValidationError:
    err = exc_info.value
    assert isinstance(err, HTTPValidationError), f"expected HTTPValidationError, got {type(err).__name__}: {err}"
    assert err.status_code == 422
    assert err.detail, "422 body must list at least one error"
    for item in err.detail:
        assert isinstance(item.loc, list) and item.loc, f"loc {item.loc!r}"
        assert isinstance(item.msg, str) and item.msg
        assert isinstance(item.type, str) and item.type
    return err


def test_422_endpoint_url(svix: Svix, app):
    with pytest.raises(HTTPValidationError) as ei:
        svix.endpoint.create(app.id, EndpointIn(url="not a url"))
    err = _check_422(ei)
    assert any("url" in [str(x) for x in e.loc] for e in err.detail), [e.loc for e in err.detail]
    with pytest.raises(HTTPValidationError) as ei:
        svix.endpoint.create(app.id, EndpointIn(url="ftp://127.0.0.1/x"))
    _check_422(ei)


@pytest.mark.parametrize(
    "case",
    ["unknown_event_type", "bad_uid", "bad_event_type_name", "limit_too_large", "empty_app_name"],
)
def test_422_other(svix: Svix, app, case: str):
    with pytest.raises(HTTPValidationError) as ei:
        if case == "unknown_event_type":
            svix.endpoint.create(app.id, EndpointIn(url="http://127.0.0.1:9/x", event_types=[unique("never.registered")]))
        elif case == "bad_uid":
            svix.application.create(ApplicationIn(name="x", uid="has space!"))
        elif case == "bad_event_type_name":
            svix.event_type.create(EventTypeIn(name="bad name!", description="x"))
        elif case == "limit_too_large":
            svix.application.list(ApplicationListOptions(limit=1000))
        elif case == "empty_app_name":
            svix.application.create(ApplicationIn(name=""))
    _check_422(ei)


# --- idempotency and errors ---------------------------------------------------------------


def test_idempotency_key(svix: Svix, app):
    """The same idempotency-key on a POST gives the same response, and the work is done once."""
    uid = unique("idem")
    key = unique("key")
    a = svix.application.create(ApplicationIn(name="Idem", uid=uid), ApplicationCreateOptions(idempotency_key=key))
    try:
        b = svix.application.create(ApplicationIn(name="Idem", uid=uid), ApplicationCreateOptions(idempotency_key=key))
        assert (b.id, b.uid, b.name, b.created_at) == (a.id, uid, "Idem", a.created_at)
    finally:
        svix.application.delete(a.id)

    key = unique("key")
    m1 = svix.message.create(app.id, MessageIn(event_type="compat.idem", payload={"x": 1}), MessageCreateOptions(idempotency_key=key))
    m2 = svix.message.create(app.id, MessageIn(event_type="compat.idem", payload={"x": 1}), MessageCreateOptions(idempotency_key=key))
    assert m2.id == m1.id
    assert [m.id for m in svix.message.list(app.id).data] == [m1.id]


def test_errors_are_json(svix: Svix, app, server_url: str, token: str):
    """Any error the SDK can meet parses as HttpError (a bare 404/405 would be a JSONDecodeError)."""
    with pytest.raises(HttpError) as ei:
        svix.environment.export()  # a Svix hosted feature Sluice does not serve
    assert http_error(ei).status_code == 501
    auth = {"authorization": f"Bearer {token}"}
    for method, path in (("GET", "/api/v1/no-such-route"), ("DELETE", "/api/v1/health")):
        r = httpx.request(method, server_url + path, headers=auth, timeout=10)
        assert r.status_code in (404, 405), f"{method} {path}: {r.status_code}"
        body = r.json()
        assert isinstance(body.get("code"), str) and isinstance(body.get("detail"), str), body


# --- operational webhooks -------------------------------------------------------------------


def test_operational_webhook_endpoints(svix: Svix, receiver: Receiver):
    """`svix.operational_webhook.endpoint`: CRUD, upsert, secret rotation and headers parse into
    the SDK's models, and endpoint changes arrive as signed operational webhooks."""
    ops = svix.operational_webhook.endpoint
    uid = unique("opep")
    ep = ops.create(
        OperationalWebhookEndpointIn(
            url=receiver.url,
            uid=uid,
            description="on-call",
            metadata={"team": "sre"},
            event_types=["endpoint.created", "endpoint.deleted"],
        )
    )
    assert ep.id.startswith("ep_") and ep.uid == uid and ep.description == "on-call"
    assert ep.event_types == ["endpoint.created", "endpoint.deleted"]
    assert ep.metadata == {"team": "sre"} and ep.disabled is False
    assert_recent(ep.created_at, "createdAt")
    assert ops.get(uid).id == ep.id
    listed = walk(lambda it: ops.list(OperationalWebhookEndpointListOptions(limit=1, iterator=it)), 1)
    assert ep.id in [e.id for e in listed]

    ops.set_headers(ep.id, OperationalWebhookEndpointHeadersIn(headers={"X-Compat": "ops"}))
    assert ops.get_headers(ep.id).headers == {"X-Compat": "ops"}
    old = ops.get_secret(ep.id).key
    assert ops.rotate_secret(ep.id, OperationalWebhookEndpointSecretIn()) is None
    new = ops.get_secret(ep.id).key
    assert new != old

    # An endpoint change in the org arrives, verifying with the new and (in grace) the old key.
    app_uid = unique("app")
    app = svix.application.create(ApplicationIn(name="ops compat", uid=app_uid))
    try:
        created = svix.endpoint.create(app.id, EndpointIn(url="https://example.com/ops"))

        def arrived():
            for d in receiver.received():
                body = json.loads(d.body)
                if body.get("type") == "endpoint.created" and body["data"]["endpointId"] == created.id:
                    return d
            return None

        d = wait_for("endpoint.created operational webhook", arrived)
        assert d.headers.get("x-compat") == "ops"
        body = verify_both(new, d)
        verify_both(old, d)
        assert body["data"] == {
            "appId": app.id,
            "appUid": app_uid,
            "endpointId": created.id,
            "endpointUid": None,
        }
    finally:
        svix.application.delete(app.id)

    replaced = ops.upsert(ep.id, OperationalWebhookEndpointUpsertIn(url=receiver.url, description="replaced"))
    assert replaced.id == ep.id and replaced.description == "replaced" and replaced.event_types is None
    ops.delete(ep.id)
    with pytest.raises(HttpError) as e:
        ops.get(ep.id)
    assert http_error(e).status_code == 404
