"""The Svix Python SDK's Ingest API (svix.ingest.source, svix.ingest.endpoint) against Sluice.

Every source type in scope is created, read, listed, upserted, has its token rotated and is
deleted through the SDK, asserting the parsed models' values; ingest endpoints go through
their whole SDK surface; and one Stripe-signed event goes from the ingest URL to a local
receiver, verified there with `standardwebhooks`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import typing as t

import httpx
import pytest
import standardwebhooks
from svix.api import (
    CronConfig,
    GithubConfig,
    GithubConfigOut,
    IngestEndpointHeadersIn,
    IngestEndpointIn,
    IngestEndpointOut,
    IngestEndpointSecretIn,
    IngestEndpointUpsertIn,
    IngestSourceIn,
    IngestSourceOut,
    MetaConfig,
    MetaConfigOut,
    ShopifyConfig,
    ShopifyConfigOut,
    SlackConfig,
    SlackConfigOut,
    StripeConfig,
    StripeConfigOut,
    Svix,
    SvixConfig,
    SvixConfigOut,
    ZoomConfig,
    ZoomConfigOut,
)
from svix.api.ingest_source import IngestSourceListOptions
from svix.exceptions import HttpError, HTTPValidationError

from conftest import WAIT, Receiver, unique, wait_for

WHSEC = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

# The SDK types that are signed like Svix (SvixConfig), all served by one verifier.
SVIX_SIGNED = [
    "svix", "beehiiv", "brex", "clerk", "guesty", "incident-io", "lithic", "nash", "open-ai",
    "pleo", "psi-fi", "render", "replicate", "resend", "safebase", "sardine", "stych",
]

# (type, config sent, config model the SDK parses back, expected parsed config)
CASES: t.List[t.Tuple[str, t.Any, type, t.Any]] = [
    ("generic-webhook", {}, dict, {}),
    ("cron", CronConfig(schedule="*/5 * * * *", payload='{"ping":1}', content_type="application/json"),
     CronConfig, CronConfig(schedule="*/5 * * * *", payload='{"ping":1}', content_type="application/json")),
    ("stripe", StripeConfig(secret="whsec_stripe_compat"), StripeConfigOut, StripeConfigOut()),
    ("github", GithubConfig(secret="gh-compat"), GithubConfigOut, GithubConfigOut()),
    ("shopify", ShopifyConfig(secret="shopify-compat"), ShopifyConfigOut, ShopifyConfigOut()),
    ("slack", SlackConfig(secret="slack-compat"), SlackConfigOut, SlackConfigOut()),
    ("zoom", ZoomConfig(secret="zoom-compat"), ZoomConfigOut, ZoomConfigOut()),
    ("meta", MetaConfig(secret="meta-compat", verify_token="vt"), MetaConfigOut, MetaConfigOut()),
] + [(ty, SvixConfig(secret=WHSEC), SvixConfigOut, SvixConfigOut()) for ty in SVIX_SIGNED]


def assert_source(out: IngestSourceOut, ty: str, name: str, uid: str, server_url: str) -> None:
    assert isinstance(out, IngestSourceOut)
    assert out.id.startswith("src_")
    assert (out.type, out.name, out.uid) == (ty, name, uid)
    assert out.metadata == {"team": "compat"}
    if ty == "cron":
        assert out.ingest_url is None, "cron sources receive nothing"
    else:
        assert out.ingest_url.startswith(f"{server_url}/ingest/"), out.ingest_url
        assert len(out.ingest_url.rsplit("/", 1)[1]) >= 22, "token has at least 128 bits"
    assert out.created_at.tzinfo is not None and out.updated_at >= out.created_at


@pytest.mark.parametrize("ty,config,model,expected", CASES, ids=[c[0] for c in CASES])
def test_source_lifecycle(svix: Svix, server_url: str, ty: str, config, model: type, expected):
    uid = unique("src")
    created = svix.ingest.source.create(
        IngestSourceIn(name=f"compat {ty}", uid=uid, type=ty, config=config, metadata={"team": "compat"})
    )
    assert_source(created, ty, f"compat {ty}", uid, server_url)
    assert isinstance(created.config, model) and created.config == expected, created.config
    assert "secret" not in json.dumps(created.model_dump(mode="json")["config"])

    assert svix.ingest.source.get(created.id) == created
    assert svix.ingest.source.get(uid) == created

    updated = svix.ingest.source.upsert(
        uid, IngestSourceIn(name="renamed", uid=uid, type=ty, config=config, metadata={"team": "compat"})
    )
    assert (updated.id, updated.name, updated.ingest_url) == (created.id, "renamed", created.ingest_url)

    rotated = svix.ingest.source.rotate_token(created.id)
    if ty != "cron":
        assert rotated.ingest_url != created.ingest_url
        assert rotated.ingest_url.startswith(f"{server_url}/ingest/")
        assert svix.ingest.source.get(created.id).ingest_url == rotated.ingest_url

    listed = svix.ingest.source.list(IngestSourceListOptions(limit=250))
    assert created.id in [s.id for s in listed.data]

    svix.ingest.source.delete(created.id)
    with pytest.raises(HttpError) as e:
        svix.ingest.source.get(created.id)
    assert e.value.status_code == 404


def test_source_upsert_creates(svix: Svix, server_url: str):
    uid = unique("src")
    out = svix.ingest.source.upsert(
        uid, IngestSourceIn(name="up", type="stripe", config=StripeConfig(secret="whsec_x"), metadata={"team": "compat"})
    )
    assert_source(out, "stripe", "up", uid, server_url)
    svix.ingest.source.delete(out.id)


def test_unsupported_source_type_is_422(svix: Svix, server_url: str, token: str):
    # Typed by the SDK but without a verifier here: refused, not silently accepted.
    resp = httpx.post(
        f"{server_url}/ingest/api/v1/source",
        headers={"Authorization": f"Bearer {token}"},
        json={"name": "x", "type": "hubspot", "config": {"secret": "s"}},
    )
    assert resp.status_code == 422, resp.text
    assert resp.json()["detail"][0]["loc"] == ["body", "type"]
    # The SDK lets a GitHub source omit its secret; Sluice refuses to receive unverified.
    with pytest.raises(HTTPValidationError) as e:
        svix.ingest.source.create(IngestSourceIn(name="x", type="github", config=GithubConfig()))
    assert e.value.detail[0].loc == ["body", "config.secret"]


def test_ingest_endpoints(svix: Svix):
    src = svix.ingest.source.create(IngestSourceIn(name="eps", type="github", config=GithubConfig(secret="s")))
    uid = unique("dest")
    ep = svix.ingest.endpoint.create(
        src.id,
        IngestEndpointIn(url="https://example.com/in", uid=uid, description="d", metadata={"k": "v"},
                         headers={"X-Dest": "1"}, throttle_rate=5),
    )
    assert isinstance(ep, IngestEndpointOut)
    assert ep.id.startswith("ep_")
    assert (ep.url, ep.uid, ep.description, ep.metadata, ep.throttle_rate, ep.disabled) == (
        "https://example.com/in", uid, "d", {"k": "v"}, 5, False)
    assert svix.ingest.endpoint.get(src.id, ep.id) == ep
    assert svix.ingest.endpoint.get(src.id, uid) == ep
    assert [e.id for e in svix.ingest.endpoint.list(src.id).data] == [ep.id]

    up = svix.ingest.endpoint.upsert(src.id, ep.id, IngestEndpointUpsertIn(url="https://example.com/v2", uid=uid))
    assert (up.id, up.url, up.uid) == (ep.id, "https://example.com/v2", uid)

    key = svix.ingest.endpoint.get_secret(src.id, ep.id).key
    assert key.startswith("whsec_")
    assert svix.ingest.endpoint.rotate_secret(src.id, ep.id, IngestEndpointSecretIn()) is None
    new_key = svix.ingest.endpoint.get_secret(src.id, ep.id).key
    assert new_key.startswith("whsec_") and new_key != key
    chosen = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"
    svix.ingest.endpoint.rotate_secret(src.id, ep.id, IngestEndpointSecretIn(key=chosen, grace_period_seconds=0))
    assert svix.ingest.endpoint.get_secret(src.id, ep.id).key == chosen

    headers = svix.ingest.endpoint.get_headers(src.id, ep.id)
    assert (headers.headers, headers.sensitive) == ({"X-Dest": "1"}, [])
    svix.ingest.endpoint.set_headers(src.id, ep.id, IngestEndpointHeadersIn(headers={"X-Other": "2", "Authorization": "Bearer t"}))
    headers = svix.ingest.endpoint.get_headers(src.id, ep.id)
    assert (headers.headers, headers.sensitive) == ({"X-Other": "2"}, ["Authorization"])

    svix.ingest.endpoint.delete(src.id, ep.id)
    with pytest.raises(HttpError) as e:
        svix.ingest.endpoint.get(src.id, ep.id)
    assert e.value.status_code == 404
    svix.ingest.source.delete(src.id)


def test_stripe_event_is_forwarded_and_verifies(svix: Svix, receiver: Receiver):
    secret = "whsec_test_secret"
    src = svix.ingest.source.create(IngestSourceIn(name="stripe e2e", type="stripe", config=StripeConfig(secret=secret)))
    ep = svix.ingest.endpoint.create(src.id, IngestEndpointIn(url=receiver.url))
    ep_secret = svix.ingest.endpoint.get_secret(src.id, ep.id).key

    body = b'{"id": "evt_compat_1", "object": "event", "type": "invoice.paid"}'
    ts = int(time.time())
    sig = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    headers = {"Stripe-Signature": f"t={ts},v1={sig}", "Content-Type": "application/json"}
    first = httpx.post(src.ingest_url, content=body, headers=headers)
    assert first.status_code == 200 and first.json()["duplicate"] is False, first.text
    again = httpx.post(src.ingest_url, content=body, headers=headers)
    assert again.status_code == 200 and again.json()["duplicate"] is True
    forged = httpx.post(src.ingest_url, content=body, headers={**headers, "Stripe-Signature": f"t={ts},v1={'0' * 64}"})
    assert forged.status_code == 401 and forged.json()["code"] == "bad_signature"

    d = wait_for("the forwarded event", lambda: receiver.received() or None, WAIT)[0]
    assert d.body == body, "forwarded byte for byte"
    assert d.headers["stripe-signature"] == headers["Stripe-Signature"]
    assert d.headers["webhook-id"] == first.json()["id"]
    assert standardwebhooks.Webhook(ep_secret).verify(d.body, d.headers) == json.loads(body)

    # The source's messages are its application's: the ordinary message API reads them.
    msgs = svix.message.list(src.id).data
    assert [(m.id, m.event_id, m.event_type) for m in msgs] == [(first.json()["id"], "evt_compat_1", "invoice.paid")]
    assert len(receiver.received()) == 1, "the duplicate and the forgery were not forwarded"
    svix.ingest.source.delete(src.id)
