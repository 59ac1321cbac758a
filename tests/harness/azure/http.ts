// The HTTP(S) plumbing shared by every emulator server. node:http(s) rather than Deno.serve because a fault test
// needs to drop a connection without answering (the client then sees ECONNRESET, as with a real network fault);
// Deno.serve can only abort after the status line. Measured on this machine: ~15k small requests/s over TLS with
// keep-alive (Deno.serve: ~26k), far above what any test or benchmark here sends.
import * as http from "node:http";
import * as https from "node:https";
import type { Socket } from "node:net";

export interface Exchange {
  readonly method: string;
  /** Absolute URL as the client addressed us (scheme, Host header, path, query). */
  readonly url: URL;
  readonly headers: Headers;
  readonly body: string;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

/** What a service did with a request: the reply (or "drop": close the connection unanswered) and how to count it. */
export interface Handled {
  reply: Reply | "drop";
  /** Route template, e.g. "GET /secrets/{name}/{version}". */
  route: string;
  /** Client id of the caller, or "anonymous"/"invalid-token" when there is none. */
  caller: string;
  vault?: string;
  /** Id of the fault rule that decided the reply. */
  fault?: string;
}

export type Handler = (exchange: Exchange) => Promise<Handled>;

export interface Finished {
  exchange: Exchange;
  handled: Handled;
  /** Status sent, 0 when the connection was dropped. */
  status: number;
  durationMs: number;
}

export interface ServerOptions {
  handler: Handler;
  tls?: { certPem: string; keyPem: string };
  /** 0 or absent: any free port. */
  port?: number;
  onFinished?: (finished: Finished) => void;
}

export interface RunningServer {
  readonly port: number;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 4 * 1024 * 1024;

export function jsonReply(status: number, value: unknown, headers: Record<string, string> = {}): Reply {
  return {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
    body: JSON.stringify(value),
  };
}

function toHeaders(raw: http.IncomingHttpHeaders): Headers {
  const h = new Headers();
  for (const [k, v] of Object.entries(raw)) {
    if (v === undefined) continue;
    for (const item of Array.isArray(v) ? v : [v]) h.append(k, item);
  }
  return h;
}

function readBody(req: http.IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let size = 0;
    req.on("data", (c: Uint8Array) => {
      size += c.length;
      if (size <= MAX_BODY_BYTES) chunks.push(c);
    });
    req.on("end", () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const sockets = new Set<Socket>();
  const scheme = options.tls ? "https" : "http";
  let port = 0;

  const onRequest = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const started = performance.now();
    sockets.add(req.socket);
    const host = req.headers.host ?? `127.0.0.1:${port}`;
    let exchange: Exchange;
    let handled: Handled;
    try {
      const body = await readBody(req);
      exchange = {
        method: req.method ?? "GET",
        url: new URL(req.url ?? "/", `${scheme}://${host}`),
        headers: toHeaders(req.headers),
        body: body ?? "",
      };
      handled = body === undefined
        ? {
          reply: jsonReply(413, { error: { code: "BadParameter", message: "Request body too large" } }),
          route: "-",
          caller: "anonymous",
        }
        : await options.handler(exchange);
    } catch (e) {
      exchange ??= {
        method: req.method ?? "GET",
        url: new URL("/", `${scheme}://127.0.0.1`),
        headers: new Headers(),
        body: "",
      };
      // A bug in an emulator must show up as a loud 500, never as a silent pass.
      const message = e instanceof Error ? `${e.message}\n${e.stack ?? ""}` : String(e);
      Deno.stderr.writeSync(new TextEncoder().encode(`[azure-emulator] internal error: ${message}\n`));
      handled = {
        reply: jsonReply(500, { error: { code: "InternalError", message: String(e) } }),
        route: "ERROR",
        caller: "anonymous",
      };
    }
    let status = 0;
    if (handled.reply === "drop") {
      req.socket.destroy();
    } else {
      status = handled.reply.status;
      res.writeHead(status, handled.reply.headers ?? {});
      res.end(handled.reply.body ?? "");
    }
    options.onFinished?.({ exchange, handled, status, durationMs: performance.now() - started });
  };

  const listener = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    void onRequest(req, res);
  };
  const server = options.tls
    ? https.createServer({ cert: options.tls.certPem, key: options.tls.keyPem }, listener)
    : http.createServer(listener);
  const track = (s: Socket): void => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  };
  server.on("connection", track);
  server.on("secureConnection", track);

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("server has no TCP address");
  port = address.port;

  return {
    port,
    close(): Promise<void> {
      return new Promise((resolve) => {
        server.close(() => resolve());
        // Keep-alive connections of SDK clients would hold close() open indefinitely.
        for (const s of sockets) s.destroy();
        sockets.clear();
      });
    },
  };
}
