// The Svix features Sluice added for SDK parity, through the JavaScript SDK: message tags,
// deliverAt, expunging content, integrations, replay-missing, bulk replay, expunge-all and
// background tasks, and the 501 answer of every SDK route that Sluice does not serve.
"use strict";

const fs = require("node:fs");
const path = require("node:path");
const { test } = require("node:test");
const assert = require("node:assert/strict");
const { Webhook, MessageStatus } = require("svix");
const { client, unique, receiver, rejects, errorBody, waitFor, raw } = require("./common");

const svix = client();

async function newApp() {
  const uid = unique("app");
  return svix.application.create({ name: `js ${uid}`, uid });
}

test("tags: stored, returned, and filtering messages and attempts", async () => {
  const app = await newApp();
  const rx = await receiver();
  try {
    const ep = await svix.endpoint.create(app.id, { url: rx.url });
    const a = await svix.message.create(app.id, { eventType: "js.tag", payload: { n: 1 }, tags: ["project_1", "a/b#c"] });
    const b = await svix.message.create(app.id, { eventType: "js.tag", payload: { n: 2 }, tags: ["other"] });
    const plain = await svix.message.create(app.id, { eventType: "js.tag", payload: { n: 3 } });
    assert.deepEqual(a.tags, ["project_1", "a/b#c"]);
    assert.deepEqual((await svix.message.get(app.id, a.id)).tags, ["project_1", "a/b#c"]);

    const ids = async (opts) => (await svix.message.list(app.id, opts)).data.map((m) => m.id);
    assert.deepEqual(await ids({ tag: "project_1" }), [a.id]);
    assert.deepEqual(await ids({ tag: "a/b#c" }), [a.id]);
    assert.deepEqual(await ids({ tag: "other" }), [b.id]);
    assert.deepEqual(await ids({ tag: "none-such" }), []);
    assert.deepEqual(await ids(), [plain.id, b.id, a.id]);

    for (const m of [a, b, plain]) await rx.waitMsg(m.id);
    const byEp = await waitFor("attempts of the tagged message", async () => {
      const l = await svix.messageAttempt.listByEndpoint(app.id, ep.id, { tag: "other", withMsg: true });
      return l.data.length ? l : null;
    });
    assert.deepEqual(byEp.data.map((x) => x.msgId), [b.id]);
    assert.deepEqual(byEp.data[0].msg.tags, ["other"]);
    const byMsg = await svix.messageAttempt.listByMsg(app.id, a.id, { tag: "other" });
    assert.deepEqual(byMsg.data, []);
    const attempted = await svix.messageAttempt.listAttemptedMessages(app.id, ep.id, { tag: "project_1" });
    assert.deepEqual(attempted.data.map((m) => [m.id, m.tags]), [[a.id, ["project_1", "a/b#c"]]]);

    const bad = await rejects(422, () => svix.message.create(app.id, { eventType: "js.tag", payload: {}, tags: ["no spaces"] }));
    assert.deepEqual(bad.body.detail[0].loc, ["body", "tags"]);
  } finally {
    await rx.close();
    await svix.application.delete(app.id);
  }
});

test("deliverAt: stored at once, scheduled, delivered not before it; at most 5 days ahead", async () => {
  const app = await newApp();
  const rx = await receiver();
  try {
    const ep = await svix.endpoint.create(app.id, { url: rx.url });
    const secret = (await svix.endpoint.getSecret(app.id, ep.id)).key;
    // A second or two ahead: the delivery is awaited, and its arrival compared with it.
    const deliverAt = new Date(Date.now() + 1500);
    const msg = await svix.message.create(app.id, { eventType: "js.later", payload: { later: true }, deliverAt });
    assert.equal(msg.deliverAt.getTime(), deliverAt.getTime());
    const listed = await svix.message.get(app.id, msg.id);
    assert.equal(listed.deliverAt.getTime(), deliverAt.getTime(), "stored at once");
    const dest = await svix.messageAttempt.listAttemptedDestinations(app.id, msg.id);
    assert.equal(dest.data[0].status, MessageStatus.Pending, "shows as scheduled");
    assert.equal(dest.data[0].nextAttempt.getTime(), deliverAt.getTime());

    const [got] = await rx.waitMsg(msg.id);
    assert.ok(got.at >= deliverAt.getTime(), `arrived ${deliverAt.getTime() - got.at} ms before deliverAt`);
    assert.deepEqual(new Webhook(secret).verify(got.body.toString(), got.headers), { later: true });

    const past = await svix.message.create(app.id, {
      eventType: "js.later",
      payload: { past: true },
      deliverAt: new Date(Date.now() - 60_000),
    });
    await rx.waitMsg(past.id);

    const tooFar = new Date(Date.now() + 5 * 24 * 3600 * 1000 + 60_000);
    const err = await rejects(422, () => svix.message.create(app.id, { eventType: "js.later", payload: {}, deliverAt: tooFar }));
    assert.deepEqual(err.body.detail[0].loc, ["body", "deliverAt"]);
  } finally {
    await rx.close();
    await svix.application.delete(app.id);
  }
});

test("expunge: message content gone, message and attempts stay, resend refused", async () => {
  const app = await newApp();
  const rx = await receiver();
  try {
    const ep = await svix.endpoint.create(app.id, { url: rx.url });
    const msg = await svix.message.create(app.id, { eventType: "js.secret", payload: { card: "4242" } });
    await rx.waitMsg(msg.id);
    const attempts = await waitFor("the attempt", async () => {
      const l = await svix.messageAttempt.listByMsg(app.id, msg.id);
      return l.data.length ? l.data : null;
    });

    await svix.message.expungeContent(app.id, msg.id);
    const after = await svix.message.get(app.id, msg.id);
    assert.deepEqual(after.payload, { expired: true });
    assert.equal(after.eventType, "js.secret");
    assert.equal((await svix.messageAttempt.listByMsg(app.id, msg.id)).data.length, attempts.length);
    const refused = await rejects(400, () => svix.messageAttempt.resend(app.id, msg.id, ep.id));
    assert.equal(refused.body.code, "missing_payload");

    await svix.messageAttempt.expungeContent(app.id, msg.id, attempts[0].id);
    const attempt = await svix.messageAttempt.get(app.id, msg.id, attempts[0].id);
    assert.equal(attempt.response, "EXPUNGED");
    await rejects(404, () => svix.message.expungeContent(app.id, "msg_nope"));
  } finally {
    await rx.close();
    await svix.application.delete(app.id);
  }
});

test("integrations: CRUD and keys through svix.integration", async () => {
  const app = await newApp();
  try {
    const integ = await svix.integration.create(app.id, { name: "Zapier", featureFlags: ["beta"] });
    assert.match(integ.id, /^integ_/);
    assert.deepEqual([integ.name, integ.featureFlags], ["Zapier", ["beta"]]);
    assert.ok(integ.createdAt instanceof Date);
    const got = await svix.integration.get(app.id, integ.id);
    assert.deepEqual(got, integ);
    const other = await svix.integration.create(app.id, { name: "Make" });
    const page = await svix.integration.list(app.id, { limit: 1 });
    assert.deepEqual([page.data[0].id, page.done], [integ.id, false]);
    const rest = await svix.integration.list(app.id, { limit: 1, iterator: page.iterator });
    assert.deepEqual(rest.data.map((i) => i.id), [other.id]);

    const updated = await svix.integration.update(app.id, integ.id, { name: "Zapier EU", featureFlags: [] });
    assert.deepEqual([updated.name, updated.featureFlags], ["Zapier EU", []]);

    const key = (await svix.integration.getKey(app.id, integ.id)).key;
    assert.match(key, /^integsk_[A-Za-z0-9]{32}$/);
    const rotated = (await svix.integration.rotateKey(app.id, integ.id)).key;
    assert.match(rotated, /^integsk_/);
    assert.notEqual(rotated, key);
    assert.equal((await svix.integration.getKey(app.id, integ.id)).key, rotated);

    await svix.integration.delete(app.id, integ.id);
    await rejects(404, () => svix.integration.get(app.id, integ.id));
  } finally {
    await svix.application.delete(app.id);
  }
});

/** Every `new SvixRequest(method, path)` of the installed SDK's dist/api/*.js. */
function sdkRoutes() {
  const dir = path.join(path.dirname(require.resolve("svix")), "api");
  const routes = new Set();
  const re = /new request_1\.SvixRequest\(request_1\.HttpMethod\.(\w+),\s*"([^"]+)"\)/g;
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".js"))) {
    const text = fs.readFileSync(path.join(dir, file), "utf8");
    for (const m of text.matchAll(re)) routes.add(`${m[1]} ${m[2]}`);
  }
  return [...routes].sort();
}

test("every route the SDK calls is served or answers 501 not_implemented", async () => {
  const routes = sdkRoutes();
  assert.ok(routes.length > 100, `found only ${routes.length} SDK routes`);
  const unserved = [];
  // Placeholder ids everywhere: served routes answer 404 (no such entity) or 422, and
  // nothing of this run is touched.
  for (const route of routes) {
    const [method, pattern] = route.split(" ");
    const p = pattern.replace(/\{[a-z_]+\}/g, "x1");
    const res = await raw(method, p, method === "GET" || method === "DELETE" ? undefined : {});
    // A route-not-found (404 "No such route") or a 405 means Sluice does not know the
    // route at all: the one answer that is never right for a route the SDK calls.
    const unknown = (res.status === 404 && res.body?.detail === "No such route") || res.status === 405;
    assert.ok(!unknown, `${route} answers ${res.status} ${JSON.stringify(res.body)}`);
    if (res.status === 501) {
      assert.equal(res.body.code, "not_implemented", route);
      unserved.push(route);
    }
  }
  // What the SDK calls but Sluice does not serve is the hosted-only part of the API.
  assert.ok(unserved.some((r) => r.includes("/stream")));
  assert.ok(!unserved.some((r) => r.includes("/integration") || r.endsWith("/content")));
});

test("an unserved feature called through the SDK is a 501 with a clear code", async () => {
  const app = await newApp();
  try {
    const ep = await svix.endpoint.create(app.id, { url: "http://127.0.0.1:9/never" });
    for (const call of [
      () => svix.connector.list(),
      () => svix.environment.export(),
    ]) {
      const err = await rejects(501, call);
      const body = errorBody(err);
      assert.equal(body.code, "not_implemented");
      assert.match(body.detail, /Svix hosted feature/);
    }
  } finally {
    await svix.application.delete(app.id);
  }
});

test("replay-missing, bulk replay, expunge-all-contents and background tasks", async () => {
  const app = await newApp();
  const rx = await receiver();
  try {
    const msg = await svix.message.create(app.id, { eventType: "js.replay", payload: { n: 1 } });
    // An endpoint created afterwards never had the message: replay-missing sends it once.
    const ep = await svix.endpoint.create(app.id, { url: rx.url });
    const since = new Date(Date.now() - 3_600_000);
    const finished = (id) =>
      waitFor(`background task ${id} to finish`, async () => {
        const t = await svix.backgroundTask.get(id);
        return t.status === "finished" ? t : null;
      });
    const replay = await svix.endpoint.replayMissing(app.id, ep.id, { since });
    assert.equal(replay.task, "endpoint.replay");
    assert.equal((await finished(replay.id)).data.messagesSent, 1);
    await rx.waitMsg(msg.id, 1);
    await waitFor("the replayed delivery to succeed", async () => {
      const d = await svix.messageAttempt.listAttemptedDestinations(app.id, msg.id);
      return d.data[0]?.status === MessageStatus.Success ? d : null;
    });

    // Bulk replay re-sends the delivered message, once.
    const bulk = await svix.endpoint.bulkReplay(app.id, ep.id, { since, eventTypes: ["js.replay"] });
    assert.equal(bulk.task, "endpoint.bulk-replay");
    const done = await finished(bulk.id);
    assert.deepEqual([done.data.messagesSent, done.data.total], [1, 1]);
    await rx.waitMsg(msg.id, 2);
    const listed = await svix.backgroundTask.list({ task: "endpoint.bulk-replay" });
    assert.ok(listed.data.some((t) => t.id === bulk.id));

    // Expunge-all removes every payload of the application.
    const purge = await svix.message.expungeAllContents(app.id);
    assert.equal(purge.task, "application.purge_content");
    assert.equal((await finished(purge.id)).data.messagesPurged, 1);
    assert.deepEqual((await svix.message.get(app.id, msg.id)).payload, { expired: true });
  } finally {
    await rx.close();
    await svix.application.delete(app.id);
  }
});
