// Shared pieces of the JavaScript compatibility suite: the SDK client for the server that
// run.sh started (SLUICE_URL, SLUICE_TOKEN), unique names, bounded waits, and a local
// webhook receiver on 127.0.0.1 that records what it gets.
"use strict";

const http = require("node:http");
const crypto = require("node:crypto");
const { Svix } = require("svix");

// Every wait is bounded by this (ms). Deliveries are local and the server's retry schedule
// is 1 s, 1 s, so anything slower is a failure.
const WAIT = 15_000;

function env(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run the suite through tests/compat/run.sh`);
  }
  return value;
}

const serverUrl = env("SLUICE_URL").replace(/\/+$/, "");
const token = env("SLUICE_TOKEN");

/** An SDK client without client-side retries: a 5xx must show up, not be papered over. */
function client() {
  return new Svix(token, { serverUrl, numRetries: 0, requestTimeout: 10_000 });
}

/** An identifier unique to this run, shaped like a uid ([a-zA-Z0-9-_.]), not like an id. */
function unique(prefix) {
  return `${prefix}-${crypto.randomBytes(8).toString("hex")}`;
}

/** Calls `probe` until it returns a truthy value (returned) or WAIT passes (throws). */
async function waitFor(what, probe, timeout = WAIT) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    last = await probe();
    if (last) return last;
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeout} ms waiting for ${what}; last: ${JSON.stringify(last)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A receiver on 127.0.0.1 that records every POST ({headers, body, at}) and answers with
 * the next status of `statuses` (then 200).
 */
async function receiver(statuses = []) {
  const script = [...statuses];
  const got = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const status = script.length ? script.shift() : 200;
      got.push({ path: req.url, headers: req.headers, body: Buffer.concat(chunks), at: Date.now(), status });
      res.writeHead(status, { "content-type": "application/json" });
      res.end(status < 300 ? '{"ok":true}' : '{"error":"compat receiver says no"}');
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${server.address().port}/hook`;
  return {
    url,
    received: () => [...got],
    /** Deliveries of one message (by webhook-id). */
    forMsg: (msgId) => got.filter((d) => d.headers["webhook-id"] === msgId),
    /** Waits for `n` deliveries of a message; returns them. */
    waitMsg: (msgId, n = 1) =>
      waitFor(`${n} deliveries of ${msgId} at ${url}`, () => {
        const ds = got.filter((d) => d.headers["webhook-id"] === msgId);
        return ds.length >= n ? ds : null;
      }),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(resolve);
      }),
  };
}

/** The parsed `{code, detail}` of an SDK error (4xx bodies are parsed, 5xx are text). */
function errorBody(err) {
  if (typeof err.body === "string") return JSON.parse(err.body);
  return err.body;
}

/** Runs `fn`, which must throw the SDK's ApiException with `status`; returns the error. */
async function rejects(status, fn) {
  try {
    await fn();
  } catch (err) {
    if (err.code !== status) {
      throw new Error(`expected HTTP ${status}, got ${err.code}: ${err.message} ${JSON.stringify(err.body)}`);
    }
    return err;
  }
  throw new Error(`expected HTTP ${status}, but the call succeeded`);
}

/** Plain HTTP with the org token (for routes the check needs to see raw). */
async function raw(method, path, body) {
  const res = await fetch(serverUrl + path, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

module.exports = { WAIT, serverUrl, token, client, unique, waitFor, receiver, errorBody, rejects, raw };
