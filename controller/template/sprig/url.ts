/**
 * The parts of Go's net/url that urlParse/urlJoin expose: Parse, Hostname, Userinfo.String and URL.String.
 *
 * @module
 */

import { quote } from "../go_strconv.ts";
import { bytesToString, stringToBytes } from "../gostr.ts";

type Mode = "path" | "host" | "zone" | "user" | "query" | "fragment";

function shouldEscape(c: number, mode: Mode): boolean {
  if ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39)) return false;
  if (mode === "host" || mode === "zone") {
    if ("!$&'()*+,;=:[]<>\"".includes(String.fromCharCode(c))) return false;
  }
  const ch = String.fromCharCode(c);
  if ("-_.~".includes(ch)) return false;
  if ("$&+,/:;=?@".includes(ch)) {
    switch (mode) {
      case "path":
        return ch === "?";
      case "user":
        return ch === "@" || ch === "/" || ch === "?" || ch === ":";
      case "query":
        return true;
      case "fragment":
        return false;
    }
  }
  if (mode === "fragment" && "!()*".includes(ch)) return false;
  return true;
}

function escape(s: string, mode: Mode): string {
  const b = stringToBytes(s);
  let out = "";
  for (const c of b) {
    if (shouldEscape(c, mode)) out += "%" + c.toString(16).toUpperCase().padStart(2, "0");
    else out += String.fromCharCode(c);
  }
  return bytesToString(Uint8Array.from(stringToBytes(out)));
}

function ishex(c: string | undefined): boolean {
  return c !== undefined && /^[0-9a-fA-F]$/.test(c);
}

function unescape(s: string, mode: Mode): string {
  let n = 0;
  for (let i = 0; i < s.length;) {
    if (s[i] === "%") {
      n++;
      if (i + 2 >= s.length || !ishex(s[i + 1]) || !ishex(s[i + 2])) {
        let t = s.slice(i);
        if (t.length > 3) t = t.slice(0, 3);
        throw new Error(`invalid URL escape ${quote(t)}`);
      }
      if (mode === "host" && parseInt(s.slice(i + 1, i + 3), 16) < 0x80 && s.slice(i, i + 3) !== "%25") {
        throw new Error(`invalid URL escape ${quote(s.slice(i, i + 3))}`);
      }
      i += 3;
    } else {
      if ((mode === "host" || mode === "zone") && s.charCodeAt(i) < 0x80 && shouldEscape(s.charCodeAt(i), mode)) {
        throw new Error(`invalid character ${quote(s[i]!)} in host name`);
      }
      i++;
    }
  }
  if (n === 0) return s;
  const b = stringToBytes(s);
  const out: number[] = [];
  for (let i = 0; i < b.length; i++) {
    if (b[i] === 0x25) {
      out.push(parseInt(String.fromCharCode(b[i + 1]!, b[i + 2]!), 16));
      i += 2;
    } else out.push(b[i]!);
  }
  return bytesToString(Uint8Array.from(out));
}

export interface URLParts {
  scheme: string;
  host: string;
  hostname: string;
  path: string;
  query: string;
  opaque: string;
  fragment: string;
  userinfo: string;
}

function getScheme(raw: string): [string, string] {
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (/[a-zA-Z]/.test(c)) continue;
    if (/[0-9+\-.]/.test(c)) {
      if (i === 0) return ["", raw];
      continue;
    }
    if (c === ":") {
      if (i === 0) throw new Error("missing protocol scheme");
      return [raw.slice(0, i), raw.slice(i + 1)];
    }
    return ["", raw];
  }
  return ["", raw];
}

function userString(user: { name: string; pass?: string }): string {
  let s = escape(user.name, "user");
  if (user.pass !== undefined) s += ":" + escape(user.pass, "user");
  return s;
}

function parseHost(host: string): string {
  if (host.startsWith("[")) {
    const i = host.lastIndexOf("]");
    if (i < 0) throw new Error("missing ']' in host");
    const colonPort = host.slice(i + 1);
    if (!validOptionalPort(colonPort)) throw new Error(`invalid port ${quote(colonPort)} after host`);
    return unescape(host.slice(0, i + 1), "host") + colonPort;
  }
  const i = host.lastIndexOf(":");
  if (i !== -1) {
    const colonPort = host.slice(i);
    if (!validOptionalPort(colonPort)) throw new Error(`invalid port ${quote(colonPort)} after host`);
  }
  return unescape(host, "host");
}

function validOptionalPort(port: string): boolean {
  if (port === "") return true;
  if (port[0] !== ":") return false;
  return /^[0-9]*$/.test(port.slice(1));
}

function validUserinfo(s: string): boolean {
  // net/url's validUserinfo: unreserved, sub-delims, ':', '%', '@' and any non-ASCII rune
  for (const ch of s) {
    if (ch.codePointAt(0)! >= 0x80) continue;
    if (!/[A-Za-z0-9\-._:~!$&'()*+,;=%@]/.test(ch)) return false;
  }
  return true;
}

/** url.Parse, returning the fields sprig's urlParse exposes, or an Error with Go's message. */
export function parseURL(rawURL: string): URLParts | Error {
  const hashAt = rawURL.indexOf("#");
  const u = hashAt >= 0 ? rawURL.slice(0, hashAt) : rawURL;
  const frag = hashAt >= 0 ? rawURL.slice(hashAt + 1) : "";
  try {
    const parts = parse(u);
    if (frag !== "") {
      try {
        parts.fragment = unescape(frag, "fragment");
      } catch (e) {
        return new Error(`parse ${quote(rawURL)}: ${(e as Error).message}`);
      }
    }
    return parts;
  } catch (e) {
    return new Error(`parse ${quote(u)}: ${(e as Error).message}`);
  }
}

function parse(raw: string): URLParts {
  // deno-lint-ignore no-control-regex
  if (/[\x00-\x1f\x7f]/.test(raw)) throw new Error("net/url: invalid control character in URL");
  const r: URLParts = {
    scheme: "",
    host: "",
    hostname: "",
    path: "",
    query: "",
    opaque: "",
    fragment: "",
    userinfo: "",
  };
  if (raw === "*") {
    r.path = "*";
    return r;
  }
  let [scheme, rest] = getScheme(raw);
  r.scheme = scheme.toLowerCase();
  if (rest.endsWith("?") && rest.split("?").length === 2) {
    rest = rest.slice(0, -1);
  } else {
    const q = rest.indexOf("?");
    if (q >= 0) {
      r.query = rest.slice(q + 1);
      rest = rest.slice(0, q);
    }
  }
  if (!rest.startsWith("/")) {
    if (r.scheme !== "") {
      r.opaque = rest;
      return r;
    }
    const seg = rest.split("/")[0]!;
    if (seg.includes(":")) throw new Error("first path segment in URL cannot contain colon");
  }
  if ((r.scheme !== "" || !rest.startsWith("///")) && rest.startsWith("//")) {
    let authority = rest.slice(2);
    rest = "";
    const i = authority.indexOf("/");
    if (i >= 0) {
      rest = authority.slice(i);
      authority = authority.slice(0, i);
    }
    const at = authority.lastIndexOf("@");
    if (at < 0) r.host = parseHost(authority);
    else {
      r.host = parseHost(authority.slice(at + 1));
      const userinfo = authority.slice(0, at);
      if (!validUserinfo(userinfo)) throw new Error("net/url: invalid userinfo");
      const c = userinfo.indexOf(":");
      const user = c < 0
        ? { name: unescape(userinfo, "user") }
        : { name: unescape(userinfo.slice(0, c), "user"), pass: unescape(userinfo.slice(c + 1), "user") };
      r.userinfo = userString(user);
    }
  }
  r.path = unescape(rest, "path");
  r.hostname = hostname(r.host);
  return r;
}

function hostname(host: string): string {
  let h = host;
  if (h.startsWith("[")) {
    const i = h.indexOf("]");
    return i >= 0 ? h.slice(1, i) : h.slice(1);
  }
  const i = h.lastIndexOf(":");
  if (i >= 0 && validOptionalPort(h.slice(i))) h = h.slice(0, i);
  return h;
}

/** URL.String for the fields urlJoin sets. */
export function urlString(
  d: { scheme: string; host: string; path: string; query: string; opaque: string; fragment: string; userinfo: string },
): string {
  let user: { name: string; pass?: string } | null = null;
  if (d.userinfo !== "") {
    const p = parseURL(`proto://${d.userinfo}@host`);
    if (p instanceof Error) throw new Error(`unable to parse userinfo in dict: ${p.message}`);
    const ui = p.userinfo;
    const c = ui.indexOf(":");
    user = c < 0
      ? { name: unescape(ui, "user") }
      : { name: unescape(ui.slice(0, c), "user"), pass: unescape(ui.slice(c + 1), "user") };
  }
  let buf = "";
  if (d.scheme !== "") buf += d.scheme + ":";
  if (d.opaque !== "") buf += d.opaque;
  else {
    if (d.scheme !== "" || d.host !== "" || user !== null) {
      if (d.host !== "" || d.path !== "" || user !== null) buf += "//";
      if (user) buf += userString(user) + "@";
      if (d.host !== "") buf += escape(d.host, "host");
    }
    const path = d.path === "*" ? "*" : escape(d.path, "path");
    if (path !== "" && path[0] !== "/" && d.host !== "") buf += "/";
    if (buf.length === 0) {
      const seg = path.split("/")[0]!;
      if (seg.includes(":")) buf += "./";
    }
    buf += path;
  }
  if (d.query !== "") buf += "?" + d.query;
  if (d.fragment !== "") buf += "#" + escape(d.fragment, "fragment");
  return buf;
}
