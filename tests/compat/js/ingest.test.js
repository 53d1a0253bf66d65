// Ingest sources and their endpoints through the JavaScript SDK (svix.ingest.*), and
// forwarding of a Svix-signed provider's event: the destination verifies the forward with
// the SDK's Webhook class and the endpoint's secret, and still finds the provider's own
// signature under x-sluice-original-*.
"use strict";

const crypto = require("node:crypto");
const { test } = require("node:test");
const assert = require("node:assert/strict");
const { Webhook } = require("svix");
const { client, unique, receiver, rejects } = require("./common");

const svix = client();

function newSecret() {
  return `whsec_${crypto.randomBytes(24).toString("base64")}`;
}

test("sources and source endpoints: create, get, list, update, token, headers, secrets, delete", async () => {
  const uid = unique("src");
  const src = await svix.ingest.source.create({
    name: "js svix source",
    uid,
    type: "svix",
    config: { secret: newSecret() },
    metadata: { team: "growth" },
  });
  try {
    assert.equal(src.type, "svix");
    assert.match(src.ingestUrl, /\/ingest\//);
    assert.equal((await svix.ingest.source.get(uid)).id, src.id);
    const listed = await svix.ingest.source.list({ limit: 250 });
    assert.ok(listed.data.some((s) => s.id === src.id));
    const renamed = await svix.ingest.source.update(src.id, {
      name: "js svix source 2",
      uid,
      type: "svix",
      config: { secret: newSecret() },
    });
    assert.equal(renamed.name, "js svix source 2");
    const rotated = await svix.ingest.source.rotateToken(src.id);
    assert.notEqual(rotated.ingestUrl, src.ingestUrl);

    const epUid = unique("dest");
    const ep = await svix.ingest.endpoint.create(src.id, {
      url: "https://example.com/in",
      uid: epUid,
      description: "d",
      metadata: { k: "v" },
    });
    assert.match(ep.id, /^ep_/);
    assert.equal((await svix.ingest.endpoint.get(src.id, epUid)).id, ep.id);
    assert.deepEqual((await svix.ingest.endpoint.list(src.id)).data.map((e) => e.id), [ep.id]);
    const moved = await svix.ingest.endpoint.update(src.id, ep.id, { url: "https://example.com/v2", uid: epUid });
    assert.equal(moved.url, "https://example.com/v2");

    await svix.ingest.endpoint.updateHeaders(src.id, ep.id, { headers: { "X-Dest": "1", Authorization: "Bearer t" } });
    const headers = await svix.ingest.endpoint.getHeaders(src.id, ep.id);
    assert.deepEqual([headers.headers, headers.sensitive], [{ "X-Dest": "1" }, ["Authorization"]]);
    const key = (await svix.ingest.endpoint.getSecret(src.id, ep.id)).key;
    await svix.ingest.endpoint.rotateSecret(src.id, ep.id, {});
    const newKey = (await svix.ingest.endpoint.getSecret(src.id, ep.id)).key;
    assert.ok(newKey.startsWith("whsec_") && newKey !== key);

    await svix.ingest.endpoint.delete(src.id, ep.id);
    await rejects(404, () => svix.ingest.endpoint.get(src.id, ep.id));
  } finally {
    await svix.ingest.source.delete(src.id);
  }
  await rejects(404, () => svix.ingest.source.get(src.id));
});

/** Posts `body` to a source, signed by a provider with `secret` under `family` headers. */
async function providerPost(url, secret, family, body) {
  const id = `msg_${crypto.randomBytes(12).toString("hex")}`;
  const at = new Date();
  const signature = new Webhook(secret).sign(id, at, body);
  const headers = {
    "content-type": "application/json",
    [`${family}-id`]: id,
    [`${family}-timestamp`]: String(Math.floor(at.getTime() / 1000)),
    [`${family}-signature`]: signature,
  };
  const res = await fetch(url, { method: "POST", headers, body });
  return { res, sent: headers };
}

for (const family of ["svix", "webhook"]) {
  test(`a ${family}-* signed event is forwarded with one signature set, Sluice's`, async () => {
    const providerSecret = newSecret();
    const rx = await receiver();
    const src = await svix.ingest.source.create({ name: `js ${family}`, type: "svix", config: { secret: providerSecret } });
    try {
      const ep = await svix.ingest.endpoint.create(src.id, { url: rx.url });
      const endpointSecret = (await svix.ingest.endpoint.getSecret(src.id, ep.id)).key;
      const body = JSON.stringify({ type: "user.created", data: { id: family } });
      const { res, sent } = await providerPost(src.ingestUrl, providerSecret, family, body);
      assert.equal(res.status, 200, await res.clone().text());
      const { id } = await res.json();

      const [got] = await rx.waitMsg(id);
      assert.equal(got.body.toString(), body, "forwarded byte for byte");
      // The SDK's Webhook class reads svix-* first: only Sluice's signature may be there.
      assert.deepEqual(new Webhook(endpointSecret).verify(got.body.toString(), got.headers), JSON.parse(body));
      for (const part of ["id", "timestamp", "signature"]) {
        assert.equal(got.headers[`svix-${part}`], undefined, `no svix-${part} besides Sluice's webhook-*`);
        assert.equal(got.headers[`x-sluice-original-${family}-${part}`], sent[`${family}-${part}`]);
      }
      assert.equal(got.headers["webhook-id"], id, "Sluice's message id");
      // The provider's own signature still verifies from the renamed headers.
      const original = {};
      for (const part of ["id", "timestamp", "signature"]) {
        original[`webhook-${part}`] = got.headers[`x-sluice-original-${family}-${part}`];
      }
      assert.deepEqual(new Webhook(providerSecret).verify(got.body.toString(), original), JSON.parse(body));
    } finally {
      await rx.close();
      await svix.ingest.source.delete(src.id);
    }
  });
}
