import net from 'node:net';
import tls from 'node:tls';

/**
 * A minimal HTTP/1.1 client for one thing only: a ranged GET whose body lands straight in the
 * caller's buffer. Node's http module (and every client on top of it) reads a response in ~64 KiB
 * chunks, allocates each, runs it through the parser and a stream, and the caller then copies it into
 * its part buffer: ~2-3 s of CPU per GiB here, the SDK doubles that. This client uses net.Socket's
 * `onread` (tls.connect takes it too): the kernel (or OpenSSL) writes the response head into a small
 * per-connection buffer and then the body directly into the caller's memory, as large as the socket
 * has bytes for. No allocation, no copy, no stream per chunk (~1 s/GiB, like Go's client).
 *
 * Strict by design, since it is trusted with the restore path: the status must be 206 and
 * Content-Length / Content-Range must describe exactly the requested range (or its tail cut by the end
 * of the object). Anything else (200 for a ranged request, chunked bodies, more or fewer bytes than
 * declared, a connection closed mid-body) is an error, never a partly filled buffer reported as full.
 * Connections are kept alive and reused; one request per connection at a time (no pipelining).
 */
export interface HttpRangeClientOptions {
  protocol: 'http:' | 'https:';
  host: string;
  port: number;
  /** TLS: extra CA (PEM), and whether to verify the server (self-signed test endpoints only: false). */
  ca?: string;
  rejectUnauthorized?: boolean;
  /** No byte for this long while a request is in flight fails it (retryable). */
  requestTimeoutMs?: number;
  /** Idle kept-alive connections are closed after this long. */
  idleTimeoutMs?: number;
  /** At most this many idle connections are kept. */
  maxIdle?: number;
}

export interface RangeRequest {
  /** Request target, already percent-encoded (`/bucket/key`). */
  path: string;
  /** Header lines to send (Host is added); names as given. */
  headers: Record<string, string>;
  /** First byte asked for and how many: `into` receives them at 0. */
  offset: number;
  into: Buffer;
  signal?: AbortSignal;
}

export interface PutRequest {
  /** Request target, already percent-encoded, with its query string. */
  path: string;
  headers: Record<string, string>;
  /** Sent as is after the head, from the caller's buffer (no copy). */
  body: Buffer;
  signal?: AbortSignal;
}

export interface PutResponse {
  status: number;
  headers: Map<string, string>;
}

export type HttpRangeFailure =
  /** A complete non-206 answer: the caller maps status and body (an S3 error document) to its errors. */
  | { kind: 'status'; status: number; body: string }
  /** The server answered something this client does not accept (wrong range, 200, chunked...). */
  | { kind: 'protocol'; message: string }
  /** The connection failed or closed before the whole body arrived. */
  | { kind: 'network'; message: string; code?: string }
  /** The server's certificate was refused (not retryable: it will not change by itself). */
  | { kind: 'tls'; message: string; code?: string }
  | { kind: 'timeout'; message: string }
  | { kind: 'aborted'; message: string };

export class HttpRangeError extends Error {
  constructor(readonly failure: HttpRangeFailure) {
    super(failure.kind === 'status' ? `HTTP ${failure.status}` : failure.message);
    this.name = 'HttpRangeError';
  }
}

const HEAD_MAX = 16 * 1024;
const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');
const EMPTY = Buffer.alloc(0);

export class HttpRangeClient {
  private readonly idle: Connection[] = [];
  private readonly all = new Set<Connection>();
  private closed = false;
  readonly hostHeader: string;

  constructor(private readonly o: HttpRangeClientOptions) {
    const defaultPort = o.protocol === 'https:' ? 443 : 80;
    const host = o.host.includes(':') ? `[${o.host}]` : o.host;
    this.hostHeader = o.port === defaultPort ? host : `${host}:${o.port}`;
  }

  /**
   * GETs `offset .. offset + into.length - 1` into `into`; resolves with the byte count (less than
   * `into.length` only where the object ends first). Rejects with an HttpRangeError.
   */
  async get(req: RangeRequest): Promise<number> {
    if (req.into.length === 0) return 0;
    return this.send((conn) => conn.request(req));
  }

  /**
   * PUTs `body`; resolves with the status and headers of a 2xx answer (whose body, if any, must be
   * small and is dropped). Rejects with an HttpRangeError (a non-2xx answer is a 'status' failure).
   */
  async put(req: PutRequest): Promise<PutResponse> {
    return this.send((conn) => conn.put(req));
  }

  private async send<T>(fn: (c: Connection) => Promise<T>): Promise<T> {
    if (this.closed) throw new HttpRangeError({ kind: 'network', message: 'client is closed' });
    // A kept-alive connection the server has meanwhile closed fails before any response byte: that
    // request never reached the server, so it is sent again once on a fresh connection.
    for (let attempt = 0; ; attempt++) {
      const reused = this.idle.pop();
      const conn = reused ?? this.connect();
      try {
        return await fn(conn);
      } catch (e) {
        const stale = reused && e instanceof HttpRangeError && e.failure.kind === 'network' && conn.receivedNothing;
        if (!stale || attempt > 0) throw e;
      }
    }
  }

  close(): void {
    this.closed = true;
    for (const c of this.all) c.destroy();
    this.all.clear();
    this.idle.length = 0;
  }

  private connect(): Connection {
    const c = new Connection(this.o, this.hostHeader, (conn, reusable) => {
      if (reusable && !this.closed && this.idle.length < (this.o.maxIdle ?? 16)) this.idle.push(conn);
      else conn.destroy();
    }, (conn) => {
      this.all.delete(conn);
      const i = this.idle.indexOf(conn);
      if (i >= 0) this.idle.splice(i, 1);
    });
    this.all.add(c);
    return c;
  }
}

interface Pending {
  req: RangeRequest;
  /** Set for a PUT: the answer is a small 2xx, read whole into the head buffer. */
  put?: { resolve: (r: PutResponse) => void; bodyEnd: number; response?: PutResponse };
  resolve: (n: number) => void;
  reject: (e: HttpRangeError) => void;
  /** Body bytes expected (from Content-Length) and received so far; -1 while reading the head. */
  expect: number;
  got: number;
  keepAlive: boolean;
  onAbort?: () => void;
}

class Connection {
  private readonly socket: net.Socket;
  private readonly head = Buffer.allocUnsafeSlow(HEAD_MAX);
  private headLen = 0;
  private pending: Pending | undefined;
  private dead = false;
  /** True until a byte of the current response arrived (see HttpRangeClient.get). */
  receivedNothing = true;

  constructor(
    private readonly o: HttpRangeClientOptions,
    private readonly hostHeader: string,
    private readonly done: (c: Connection, reusable: boolean) => void,
    private readonly gone: (c: Connection) => void,
  ) {
    // The buffer function is asked for the memory of the next read after every read: the head buffer
    // while a response head is awaited (or nothing is expected), the rest of the caller's range once
    // the head is parsed. It never offers more than the body still owed, so a read cannot run past it.
    const onread = {
      buffer: () => this.nextBuffer(),
      callback: (n: number, buf: Uint8Array) => {
        this.onBytes(n, buf);
        return true;
      },
    };
    const common = { host: o.host, port: o.port, onread, noDelay: true };
    this.socket =
      o.protocol === 'https:'
        ? tls.connect({
            ...common,
            servername: net.isIP(o.host) ? undefined : o.host,
            ca: o.ca ? [...tls.rootCertificates, o.ca] : undefined,
            rejectUnauthorized: o.rejectUnauthorized ?? true,
          })
        : net.connect(common);
    this.socket.setKeepAlive(true, 30_000);
    this.socket.on('error', (e: NodeJS.ErrnoException) =>
      this.fail(
        /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS_CERT|HOSTNAME/i.test(e.code ?? '')
          ? { kind: 'tls', message: e.message, code: e.code }
          : { kind: 'network', message: e.message, code: e.code },
      ),
    );
    this.socket.on('end', () => this.fail({ kind: 'network', message: 'the server closed the connection before the response was complete' }));
    this.socket.on('close', () => {
      this.fail({ kind: 'network', message: 'the connection closed before the response was complete' });
      this.gone(this);
    });
    this.socket.on('timeout', () => {
      if (this.pending) this.fail({ kind: 'timeout', message: `no response bytes for ${(this.o.requestTimeoutMs ?? 120_000) / 1000} s` });
      else this.destroy();
    });
  }

  request(req: RangeRequest): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const end = req.offset + req.into.length - 1;
      this.start({ req, resolve, reject, expect: -1, got: 0, keepAlive: true }, `GET ${req.path} HTTP/1.1\r\nHost: ${this.hostHeader}\r\nRange: bytes=${req.offset}-${end}\r\n`, req.headers);
    });
  }

  put(req: PutRequest): Promise<PutResponse> {
    return new Promise<PutResponse>((resolve, reject) => {
      // The range fields are unused by a PUT; an empty `into` keeps the body path out of it.
      const p: Pending = { req: { path: req.path, headers: req.headers, offset: 0, into: EMPTY, signal: req.signal }, put: { resolve, bodyEnd: -1 }, resolve: () => {}, reject, expect: -1, got: 0, keepAlive: true };
      const head = `PUT ${req.path} HTTP/1.1\r\nHost: ${this.hostHeader}\r\nContent-Length: ${req.body.length}\r\n`;
      if (this.start(p, head, req.headers) && req.body.length > 0) this.socket.write(req.body);
    });
  }

  /** Sends a request head (and makes `p` the pending request); false when it failed at once. */
  private start(p: Pending, first: string, headers: Record<string, string>): boolean {
    if (this.dead) {
      p.reject(new HttpRangeError({ kind: 'network', message: 'connection closed' }));
      return false;
    }
    if (p.req.signal?.aborted) {
      p.reject(new HttpRangeError({ kind: 'aborted', message: 'aborted' }));
      return false;
    }
    this.pending = p;
    this.headLen = 0;
    this.receivedNothing = true;
    if (p.req.signal) {
      p.onAbort = () => this.fail({ kind: 'aborted', message: 'aborted' });
      p.req.signal.addEventListener('abort', p.onAbort, { once: true });
    }
    let head = first;
    for (const [k, v] of Object.entries(headers)) {
      const lk = k.toLowerCase();
      if (lk === 'host' || lk === 'range' || lk === 'content-length') continue;
      if (/[\r\n]/.test(k) || /[\r\n]/.test(v)) {
        this.fail({ kind: 'protocol', message: `header ${k} contains a line break` });
        return false;
      }
      head += `${k}: ${v}\r\n`;
    }
    head += '\r\n';
    this.socket.ref();
    this.socket.setTimeout(this.o.requestTimeoutMs ?? 120_000);
    this.socket.write(head, 'latin1');
    return true;
  }

  destroy(): void {
    this.dead = true;
    this.socket.destroy();
  }

  private nextBuffer(): Uint8Array {
    const p = this.pending;
    if (p && p.expect >= 0) return p.req.into.subarray(p.got, p.expect);
    // Reading a head (or idle): the free rest of the head buffer. A head that fills it is refused in
    // onBytes before this is asked again, so the subarray is never empty.
    return this.head.subarray(this.headLen);
  }

  private onBytes(n: number, buf: Uint8Array): void {
    const p = this.pending;
    if (!p) {
      // Bytes nobody asked for (a server sending past its Content-Length): the stream is out of step.
      this.destroy();
      return;
    }
    this.receivedNothing = false;
    if (p.expect >= 0) {
      // Body bytes landed in place at into[got..]. Node asks the buffer function after each callback,
      // so this holds; checked anyway, since a byte counted where it did not land would be corruption.
      const into = p.req.into;
      if (buf.buffer !== into.buffer || buf.byteOffset !== into.byteOffset + p.got) {
        return this.fail({ kind: 'protocol', message: 'internal: body bytes outside the part buffer' });
      }
      p.got += n;
      if (p.got === p.expect) this.finish(p);
      return;
    }
    // Head bytes: buf is this.head at headLen.
    if (buf.buffer !== this.head.buffer) return this.fail({ kind: 'protocol', message: 'internal: head bytes outside the head buffer' });
    const from = Math.max(0, this.headLen - 3);
    this.headLen += n;
    if (p.put?.response) {
      // A PUT answer's small body arriving after its parsed head.
      if (this.headLen > p.put.bodyEnd) return this.fail({ kind: 'protocol', message: 'the server sent more bytes than its Content-Length' });
      if (this.headLen === p.put.bodyEnd) this.finishPut(p);
      return;
    }
    const endOfHead = this.head.subarray(0, this.headLen).indexOf(CRLFCRLF, from);
    if (endOfHead < 0) {
      if (this.headLen >= HEAD_MAX) this.fail({ kind: 'protocol', message: `response head larger than ${HEAD_MAX} bytes` });
      return;
    }
    const bodyStart = endOfHead + 4;
    const parsed = parseHead(this.head.toString('latin1', 0, endOfHead));
    const extra = this.head.subarray(bodyStart, this.headLen);
    if (typeof parsed === 'string') return this.fail({ kind: 'protocol', message: parsed });
    if (p.put) {
      if (parsed.status < 200 || parsed.status > 299) {
        return this.fail({ kind: 'status', status: parsed.status, body: extra.toString('utf8', 0, Math.min(extra.length, 4096)) });
      }
      const te = parsed.headers.get('transfer-encoding');
      const cl = parsed.headers.get('content-length') ?? (te === undefined ? '0' : undefined);
      if (cl === undefined || !/^\d{1,6}$/.test(cl)) return this.fail({ kind: 'protocol', message: `PUT answered ${parsed.status} without a valid Content-Length` });
      p.put.bodyEnd = bodyStart + Number(cl);
      if (p.put.bodyEnd > HEAD_MAX) return this.fail({ kind: 'protocol', message: `PUT answered with a ${cl}-byte body; at most ${HEAD_MAX - bodyStart} expected` });
      if (this.headLen > p.put.bodyEnd) return this.fail({ kind: 'protocol', message: 'the server sent more bytes than its Content-Length' });
      p.keepAlive = !/\bclose\b/i.test(parsed.headers.get('connection') ?? '');
      p.put.response = { status: parsed.status, headers: parsed.headers };
      if (this.headLen === p.put.bodyEnd) this.finishPut(p);
      return;
    }
    if (parsed.status !== 206) {
      // The error document of an S3 error usually comes with the head; whatever came is enough to map
      // it. The connection is not reused (its unread rest would be out of step).
      return this.fail({ kind: 'status', status: parsed.status, body: extra.toString('utf8', 0, Math.min(extra.length, 4096)) });
    }
    const checked = checkRange(parsed.headers, p.req.offset, p.req.into.length);
    if (typeof checked === 'string') return this.fail({ kind: 'protocol', message: checked });
    p.expect = checked;
    p.keepAlive = !/\bclose\b/i.test(parsed.headers.get('connection') ?? '');
    if (extra.length > p.expect) return this.fail({ kind: 'protocol', message: `the server sent ${extra.length} body bytes, more than its Content-Length ${p.expect}` });
    extra.copy(p.req.into, 0);
    p.got = extra.length;
    if (p.got === p.expect) this.finish(p);
  }

  private finishPut(p: Pending): void {
    this.release(p);
    p.put!.resolve(p.put!.response!);
  }

  private finish(p: Pending): void {
    this.release(p);
    p.resolve(p.got);
  }

  /** The request is answered: the connection goes idle (back to the pool if it may be kept). */
  private release(p: Pending): void {
    this.pending = undefined;
    if (p.onAbort) p.req.signal?.removeEventListener('abort', p.onAbort);
    this.headLen = 0;
    this.socket.setTimeout(this.o.idleTimeoutMs ?? 30_000);
    // An idle kept-alive connection must not keep the process alive.
    this.socket.unref();
    this.done(this, p.keepAlive && !this.dead);
  }

  private fail(f: HttpRangeFailure): void {
    const p = this.pending;
    this.pending = undefined;
    this.destroy();
    if (!p) return;
    if (p.onAbort) p.req.signal?.removeEventListener('abort', p.onAbort);
    if (f.kind === 'network' && p.expect >= 0) {
      f = { ...f, message: `${f.message} (after ${p.got} of ${p.expect} body bytes)` };
    }
    p.reject(new HttpRangeError(f));
  }
}

interface Head {
  status: number;
  headers: Map<string, string>;
}

/** Status line and headers; a string says what is wrong with them. */
export function parseHead(text: string): Head | string {
  const lines = text.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(lines[0] ?? '');
  if (!m) return `malformed status line ${JSON.stringify((lines[0] ?? '').slice(0, 80))}`;
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const i = line.indexOf(':');
    if (i <= 0) return `malformed header line ${JSON.stringify(line.slice(0, 80))}`;
    const name = line.slice(0, i).trim().toLowerCase();
    const value = line.slice(i + 1).trim();
    const prev = headers.get(name);
    if (prev !== undefined && (name === 'content-length' || name === 'content-range') && prev !== value) return `conflicting ${name} headers`;
    headers.set(name, prev !== undefined && prev !== value ? `${prev}, ${value}` : value);
  }
  return { status: Number(m[1]), headers };
}

/**
 * Checks a 206's framing against the request `offset`, `length`; returns the body length or what is
 * wrong. The body may be shorter than asked only where the object ends (Content-Range's total).
 */
export function checkRange(h: Map<string, string>, offset: number, length: number): number | string {
  const te = h.get('transfer-encoding');
  if (te !== undefined && te.toLowerCase() !== 'identity') return `unsupported Transfer-Encoding ${JSON.stringify(te)} on a ranged response`;
  const cl = h.get('content-length');
  if (cl === undefined || !/^\d{1,15}$/.test(cl)) return `206 response without a valid Content-Length (${JSON.stringify(cl)})`;
  const cr = h.get('content-range');
  const m = cr === undefined ? null : /^bytes (\d{1,15})-(\d{1,15})\/(\d{1,15}|\*)$/i.exec(cr);
  if (!m) return `206 response without a valid Content-Range (${JSON.stringify(cr)})`;
  const first = Number(m[1]);
  const last = Number(m[2]);
  const total = m[3] === '*' ? undefined : Number(m[3]);
  const wantLast = offset + length - 1;
  if (first !== offset || last < first || last > wantLast) return `Content-Range ${cr} does not match the requested bytes ${offset}-${wantLast}`;
  if (last < wantLast && total !== last + 1) return `Content-Range ${cr} is shorter than the requested bytes ${offset}-${wantLast} but not at the end of the object`;
  if (total !== undefined && last >= total) return `Content-Range ${cr} runs past its own total`;
  if (Number(cl) !== last - first + 1) return `Content-Length ${cl} does not match Content-Range ${cr}`;
  return Number(cl);
}
