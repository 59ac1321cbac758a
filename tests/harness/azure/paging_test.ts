import assert from "node:assert/strict";
import { decodeSkipToken, encodeSkipToken, nextLinkFor, pageOf, PagingError, parseMaxResults } from "./paging.ts";

Deno.test("maxresults: default 25, 1..25 accepted, anything else refused", () => {
  assert.equal(parseMaxResults(null), 25);
  assert.equal(parseMaxResults("1"), 1);
  assert.equal(parseMaxResults("25"), 25);
  for (const bad of ["0", "26", "-1", "2.5", "x"]) assert.throws(() => parseMaxResults(bad), PagingError, bad);
});

Deno.test("skip tokens round-trip and foreign ones are refused", () => {
  assert.equal(decodeSkipToken(encodeSkipToken("s-07")), "s-07");
  assert.throws(() => decodeSkipToken("garbage!"), PagingError);
  assert.throws(() => decodeSkipToken(btoa('{"other":1}')), PagingError);
});

Deno.test("pageOf walks sorted keys; a cursor survives inserts before it", () => {
  const items = ["d", "a", "c", "b", "e"];
  const first = pageOf(items, (x) => x, 2);
  assert.deepEqual(first, { items: ["a", "b"], nextAfter: "b" });
  const second = pageOf([...items, "aa"], (x) => x, 2, first.nextAfter);
  assert.deepEqual(second, { items: ["c", "d"], nextAfter: "d" });
  assert.deepEqual(pageOf(items, (x) => x, 2, "d"), { items: ["e"] });
  assert.deepEqual(pageOf(items, (x) => x, 5), { items: ["a", "b", "c", "d", "e"] });
});

Deno.test("nextLink is absolute, with api-version, $skiptoken and maxresults only when the client gave it", () => {
  const with7 = new URL(nextLinkFor("https://127.0.0.1:9", "/secrets", "2026-04-01", "k", "7"));
  assert.equal(with7.origin + with7.pathname, "https://127.0.0.1:9/secrets");
  assert.equal(with7.searchParams.get("api-version"), "2026-04-01");
  assert.equal(decodeSkipToken(with7.searchParams.get("$skiptoken") ?? ""), "k");
  assert.equal(with7.searchParams.get("maxresults"), "7");
  assert.ok(with7.search.includes("$skiptoken="));
  assert.equal(new URL(nextLinkFor("https://h", "/secrets", "v", "k", null)).searchParams.has("maxresults"), false);
});
