import assert from "node:assert/strict";
import {
  checkNullBytes,
  decodeValue,
  explodeJsonObject,
  PropertyNotFoundError,
  selectProperty,
  splitPath,
} from "./values.ts";

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

Deno.test("splitPath() splits on unescaped dots only", () => {
  assert.deepEqual(splitPath("a.b.c"), ["a", "b", "c"]);
  assert.deepEqual(splitPath("tls\\.crt"), ["tls.crt"]);
  assert.deepEqual(splitPath("x.tls\\.crt.y"), ["x", "tls.crt", "y"]);
});

Deno.test("selectProperty() returns strings unquoted and other values as JSON", () => {
  const doc = JSON.stringify({ user: "admin", port: 5432, nested: { list: ["a", "b"], ok: true }, obj: { k: 1 } });
  assert.equal(selectProperty(doc, "user", "db"), "admin");
  assert.equal(selectProperty(doc, "port", "db"), "5432");
  assert.equal(selectProperty(doc, "nested.list.1", "db"), "b");
  assert.equal(selectProperty(doc, "nested.list.#", "db"), "2");
  assert.equal(selectProperty(doc, "nested.ok", "db"), "true");
  assert.equal(selectProperty(doc, "obj", "db"), '{"k":1}');
});

Deno.test("selectProperty() retries a dotted path as one key, as ESO does", () => {
  const doc = JSON.stringify({ "tls.crt": "CERT" });
  assert.equal(selectProperty(doc, "tls.crt", "tls"), "CERT");
});

Deno.test("selectProperty() errors name the key and property, never the value", () => {
  assert.throws(
    () => selectProperty('{"password":"hunter2"}', "user", "db-creds"),
    (e: unknown) =>
      e instanceof PropertyNotFoundError && e.message === "property user does not exist in key db-creds" &&
      !e.message.includes("hunter2"),
  );
  assert.throws(() => selectProperty("not json hunter2", "user", "db"), (e: unknown) => {
    return e instanceof PropertyNotFoundError && !(e as Error).message.includes("hunter2");
  });
});

Deno.test("decodeValue() implements None, Base64, Base64URL and Auto", () => {
  assert.equal(dec(decodeValue(enc("aGVsbG8="), "None", "k")), "aGVsbG8=");
  assert.equal(dec(decodeValue(enc("aGVsbG8="), "Base64", "k")), "hello");
  assert.equal(dec(decodeValue(enc("aGVsbG8"), "Base64", "k")), "hello");
  assert.equal(dec(decodeValue(enc("-_8"), "Base64URL", "k")), "\ufffd\ufffd"); // 0xfb 0xff: bytes, not text
  assert.deepEqual([...decodeValue(enc("-_8"), "Base64URL", "k")], [0xfb, 0xff]);
  assert.equal(dec(decodeValue(enc("aGVsbG8="), "Auto", "k")), "hello");
  assert.deepEqual([...decodeValue(enc("-_8"), "Auto", "k")], [0xfb, 0xff]);
  assert.equal(dec(decodeValue(enc("not base64!"), "Auto", "k")), "not base64!");
  assert.throws(() => decodeValue(enc("not base64!"), "Base64", "db"), /Cannot decode the value of key db as Base64/);
});

Deno.test("checkNullBytes() fails only under the Fail policy", () => {
  const v = Uint8Array.of(97, 0, 98);
  checkNullBytes(v, undefined, "k");
  checkNullBytes(v, "Ignore", "k");
  assert.throws(() => checkNullBytes(v, "Fail", "k"), /key k contains a NUL byte/);
  checkNullBytes(enc("clean"), "Fail", "k");
});

Deno.test("explodeJsonObject(): strings unquoted, null empty, other values as written (Go's json.RawMessage)", () => {
  const enc = new TextEncoder();
  const got = explodeJsonObject(
    enc.encode(' { "s" : "a\\"b" , "n": 1.50, "o": {"k" : [1, "}"]}, "z": null, "t": true, "s": "last" } '),
    "db",
  );
  const dec = Object.fromEntries(Object.entries(got).map(([k, v]) => [k, new TextDecoder().decode(v)]));
  assert.deepEqual(dec, { s: "last", n: "1.50", o: '{"k" : [1, "}"]}', z: "", t: "true" });
  assert.deepEqual(Object.keys(explodeJsonObject(enc.encode("null"), "db")), []);
  assert.throws(() => explodeJsonObject(enc.encode("s3cr3t"), "db"), /key db is not valid JSON/);
  assert.throws(() => explodeJsonObject(enc.encode('"s3cr3t"'), "db"), /key db is a JSON string, not an object/);
  const proto = explodeJsonObject(enc.encode('{"__proto__": "x"}'), "db");
  assert.equal(Object.keys(proto).join(), "__proto__");
});
