// The everyday routes through the official Svix JavaScript SDK: applications, event types,
// endpoints (filters, custom headers, secrets), messages with filters, attempts, retries,
// recover and resend. Every delivery is checked with the SDK's own Webhook class.
"use strict";

const { test } = require("node:test");
const assert = require("node:assert/strict");
const { Webhook, MessageStatus } = require("svix");
const { client, unique, receiver, rejects, waitFor } = require("./common");

const svix = client();

async function newApp() {
  const uid = unique("app");
  return svix.application.create({ name: `js ${uid}`, uid });
}

async function eventTypes() {
  const names = [`${unique("js")}.created`, `${unique("js")}.deleted`];
  for (const name of names) {
    await svix.eventType.create({ name, description: `js ${name}` });
  }
  return names;
}

/** The delivery verifies with the SDK's Webhook class and carries the published payload. */
function verified(secret, delivery, payload) {
  const parsed = new Webhook(secret).verify(delivery.body.toString("utf8"), delivery.headers);
  assert.deepEqual(parsed, payload);
}

test("applications: create, get by id and uid, getOrCreate, update, patch, list, delete", async () => {
  const uid = unique("app");
  const app = await svix.application.create({ name: "JS Acme", uid, metadata: { tier: "gold" } });
  assert.match(app.id, /^app_/);
  assert.ok(app.createdAt instanceof Date && !Number.isNaN(app.createdAt.getTime()));
  assert.deepEqual(app.metadata, { tier: "gold" });
  assert.equal((await svix.application.get(uid)).id, app.id);
  assert.equal((await svix.application.getOrCreate({ name: "other", uid })).id, app.id);

  const updated = await svix.application.update(app.id, { name: "JS Acme 2", uid });
  assert.equal(updated.name, "JS Acme 2");
  const patched = await svix.application.patch(app.id, { metadata: { tier: "silver" } });
  assert.deepEqual([patched.name, patched.metadata], ["JS Acme 2", { tier: "silver" }]);

  // Other suites create applications meanwhile: check order and paging, not the whole list.
  const second = await newApp();
  const newest = (await svix.application.list({ limit: 250, order: "descending" })).data.map((a) => a.id);
  assert.ok(newest.indexOf(second.id) < newest.indexOf(app.id) && newest.includes(app.id));
  const first = await svix.application.list({ limit: 1 });
  assert.deepEqual([first.data.length, first.done], [1, false]);
  const next = await svix.application.list({ limit: 1, iterator: first.iterator });
  assert.notEqual(next.data[0].id, first.data[0].id);
  assert.ok(next.data[0].id > first.data[0].id, "ascending ids page forward");

  await svix.application.delete(app.id);
  await svix.application.delete(second.id);
  const gone = await rejects(404, () => svix.application.get(app.id));
  assert.equal(gone.body.code, "not_found");
});

test("endpoints: filters, custom headers, secrets; deliveries verify with Webhook", async () => {
  const app = await newApp();
  const [created, deleted] = await eventTypes();
  const rx = await receiver();
  const all = await receiver();
  try {
    const ep = await svix.endpoint.create(app.id, {
      url: rx.url,
      uid: unique("ep"),
      // SDK 1.x names the event-type filter `filterTypes` (Svix's older name).
      filterTypes: [created],
      channels: ["eu"],
      metadata: { team: "billing" },
      description: "filtered",
    });
    assert.deepEqual([ep.filterTypes, ep.channels, ep.metadata], [[created], ["eu"], { team: "billing" }]);
    assert.equal((await svix.endpoint.get(app.id, ep.uid)).id, ep.id);
    const catchAll = await svix.endpoint.create(app.id, { url: all.url });
    const listed = await svix.endpoint.list(app.id);
    assert.deepEqual(listed.data.map((e) => e.id).sort(), [ep.id, catchAll.id].sort());

    await svix.endpoint.updateHeaders(app.id, ep.id, { headers: { "X-Tenant": "42", Authorization: "Bearer t" } });
    await svix.endpoint.patchHeaders(app.id, ep.id, { headers: { "X-Extra": "1" } });
    const headers = await svix.endpoint.getHeaders(app.id, ep.id);
    assert.deepEqual(headers.headers, { "X-Tenant": "42", "X-Extra": "1" });
    assert.deepEqual(headers.sensitive, ["Authorization"]);

    const patched = await svix.endpoint.patch(app.id, ep.id, { description: "still filtered" });
    assert.deepEqual([patched.description, patched.filterTypes], ["still filtered", [created]]);

    const secret = (await svix.endpoint.getSecret(app.id, ep.id)).key;
    assert.match(secret, /^whsec_/);
    const catchAllSecret = (await svix.endpoint.getSecret(app.id, catchAll.id)).key;

    const payload = { invoice: "inv_1", amount: 1200 };
    const match = await svix.message.create(app.id, { eventType: created, payload, channels: ["eu"] });
    const wrongType = await svix.message.create(app.id, { eventType: deleted, payload: { n: 2 }, channels: ["eu"] });
    const wrongChannel = await svix.message.create(app.id, { eventType: created, payload: { n: 3 }, channels: ["us"] });

    const [got] = await rx.waitMsg(match.id);
    verified(secret, got, payload);
    assert.equal(got.headers["x-tenant"], "42");
    assert.equal(got.headers.authorization, "Bearer t");
    for (const m of [match, wrongType, wrongChannel]) {
      await all.waitMsg(m.id);
    }
    assert.deepEqual(rx.received().map((d) => d.headers["webhook-id"]), [match.id], "filters route by type and channel");
    verified(catchAllSecret, all.forMsg(wrongType.id)[0], { n: 2 });

    // After a rotation, a delivery verifies with the new and the old secret.
    await svix.endpoint.rotateSecret(app.id, ep.id, {});
    const rotated = (await svix.endpoint.getSecret(app.id, ep.id)).key;
    assert.notEqual(rotated, secret);
    const after = await svix.message.create(app.id, { eventType: created, payload: { n: 4 }, channels: ["eu"] });
    const [late] = await rx.waitMsg(after.id);
    verified(rotated, late, { n: 4 });
    verified(secret, late, { n: 4 });

    await svix.endpoint.delete(app.id, ep.id);
    await rejects(404, () => svix.endpoint.get(app.id, ep.id));
  } finally {
    await rx.close();
    await all.close();
    await svix.application.delete(app.id);
  }
});

test("messages: eventId, 409, get by eventId, list filters", async () => {
  const app = await newApp();
  const [a, b] = await eventTypes();
  try {
    const eventId = unique("evt");
    const m1 = await svix.message.create(app.id, { eventType: a, eventId, payload: { n: 1 }, channels: ["eu"] });
    const dup = await rejects(409, () => svix.message.create(app.id, { eventType: a, eventId, payload: { n: 1 } }));
    assert.equal(dup.body.code, "conflict");
    const byEvent = await svix.message.get(app.id, eventId);
    assert.deepEqual([byEvent.id, byEvent.payload], [m1.id, { n: 1 }]);
    const cut = new Date(Date.now() + 5);
    await waitFor("the clock to pass the cut", () => Date.now() > cut.getTime() + 5);
    const m2 = await svix.message.create(app.id, { eventType: b, payload: { n: 2 } });

    const ids = async (opts) => (await svix.message.list(app.id, opts)).data.map((m) => m.id);
    assert.deepEqual(await ids(), [m2.id, m1.id], "newest first");
    assert.deepEqual(await ids({ eventTypes: [a] }), [m1.id]);
    assert.deepEqual(await ids({ channel: "eu" }), [m1.id]);
    assert.deepEqual(await ids({ before: cut }), [m1.id]);
    assert.deepEqual(await ids({ after: cut }), [m2.id]);
    const bare = await svix.message.list(app.id, { withContent: false });
    assert.deepEqual(bare.data.map((m) => m.payload), [{}, {}]);
    await rejects(404, () => svix.message.get(app.id, "msg_nope"));
  } finally {
    await svix.application.delete(app.id);
  }
});

test("attempts, retries, recover and resend", async () => {
  const app = await newApp();
  // Three failures exhaust the delivery (schedule 1 s, 1 s); then everything succeeds.
  const rx = await receiver([500, 500, 500]);
  try {
    const ep = await svix.endpoint.create(app.id, { url: rx.url });
    const msg = await svix.message.create(app.id, { eventType: "js.retry", payload: { n: 1 } });
    await rx.waitMsg(msg.id, 3);
    const failed = await waitFor("the delivery to fail", async () => {
      const d = await svix.messageAttempt.listAttemptedDestinations(app.id, msg.id);
      return d.data[0]?.status === MessageStatus.Fail ? d : null;
    });
    assert.equal(failed.data[0].id, ep.id);

    const byMsg = await svix.messageAttempt.listByMsg(app.id, msg.id);
    assert.equal(byMsg.data.length, 3);
    assert.ok(byMsg.data.every((a) => a.status === MessageStatus.Fail && a.responseStatusCode === 500));
    const one = await svix.messageAttempt.get(app.id, msg.id, byMsg.data[0].id);
    assert.equal(one.id, byMsg.data[0].id);
    const byEp = await svix.messageAttempt.listByEndpoint(app.id, ep.id, { status: MessageStatus.Fail });
    assert.equal(byEp.data.length, 3);
    const attempted = await svix.messageAttempt.listAttemptedMessages(app.id, ep.id);
    assert.deepEqual([attempted.data[0].id, attempted.data[0].status], [msg.id, MessageStatus.Fail]);

    // Recover re-sends the dead-lettered delivery as one manual try.
    const task = await svix.endpoint.recover(app.id, ep.id, { since: new Date(Date.now() - 3_600_000) });
    assert.match(task.id, /^qtask_/);
    assert.equal(task.status, "running");
    await rx.waitMsg(msg.id, 4);
    const followed = await waitFor("the recover task to finish", async () => {
      const t = await svix.backgroundTask.get(task.id);
      return t.status === "finished" ? t : null;
    });
    assert.deepEqual([followed.data.messagesSent, followed.data.total], [1, 1]);
    const recovered = await waitFor("a successful manual attempt", async () => {
      const l = await svix.messageAttempt.listByMsg(app.id, msg.id, { status: MessageStatus.Success });
      return l.data.length ? l.data[0] : null;
    });
    assert.equal(recovered.triggerType, 1, "manual");

    // Resend is one more manual try.
    await svix.messageAttempt.resend(app.id, msg.id, ep.id);
    await rx.waitMsg(msg.id, 5);
    const secret = (await svix.endpoint.getSecret(app.id, ep.id)).key;
    verified(secret, rx.forMsg(msg.id)[4], { n: 1 });
  } finally {
    await rx.close();
    await svix.application.delete(app.id);
  }
});
