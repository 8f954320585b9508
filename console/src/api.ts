import { createClient } from 'graphql-sse';
/** The console's only way to the product: the public GraphQL API and the gateway's export/import routes, with the user's token. */

const TOKEN_KEY = 'console.token';

/** Roles the API knows; what a page shows follows the API's field rules (README "Security"). */
export type Role = 'admin' | 'sales' | 'finance' | 'operations' | 'partner';

/** Who is signed in, as the token says (the gateway verifies it on every call). */
export interface Session {
  token: string;
  role: Role;
  sub: string;
  customerId?: string;
  expiresAt?: number;
}

/** Reads a JWT's claims without verifying it: only to shape the page; the gateway decides. */
export function sessionOf(token: string): Session | null {
  const parts = token.trim().split('.');
  if (parts.length !== 3) return null;
  try {
    const claims = JSON.parse(atob(parts[1].replace(/-/g, '+').replace(/_/g, '/'))) as Record<string, unknown>;
    const role = String(claims.role ?? '') as Role;
    if (!['admin', 'sales', 'finance', 'operations', 'partner'].includes(role)) return null;
    return {
      token: token.trim(),
      role,
      sub: String(claims.sub ?? ''),
      customerId: typeof claims.customer_id === 'string' ? claims.customer_id : undefined,
      expiresAt: typeof claims.exp === 'number' ? claims.exp * 1000 : undefined,
    };
  } catch {
    return null;
  }
}

/** The session kept for this browser tab (sessionStorage: closing the tab signs out). */
export function storedSession(): Session | null {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const session = token ? sessionOf(token) : null;
  if (session?.expiresAt && session.expiresAt < Date.now()) return null;
  return session;
}

export function storeToken(token: string | null): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** What each role may do, from the API's field rules; used to leave out what a role cannot see. */
export const can = {
  changeFlows: (role: Role) => role === 'admin' || role === 'sales',
  reviewCredit: (role: Role) => role === 'admin' || role === 'finance',
  seeInvoices: (role: Role) => role === 'admin' || role === 'finance' || role === 'partner',
  seeSync: (role: Role) => role !== 'partner',
  seeDataQuality: (role: Role) => role === 'admin',
  editCustomers: (role: Role) => role === 'admin' || role === 'sales',
  importFiles: (role: Role) => role === 'admin',
};

/** A GraphQL error as the gateway answers it. */
export interface ApiError {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; [key: string]: unknown };
}

/** Thrown for an answer the page cannot use: a refused token, a bad input, a backend away. */
export class ApiFailure extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly status: number,
  ) {
    super(message);
  }
}

/** Called when the gateway refuses the token (expired, wrong secret): the app signs out. */
let onUnauthenticated: () => void = () => undefined;
export function whenUnauthenticated(handler: () => void): void {
  onUnauthenticated = handler;
}

/**
 * Sends one operation. Fields the role may not see come back null with a FORBIDDEN error at
 * their path: those are dropped here, so pages show them as absent. Any other error fails the call
 * unless `partial` is set (then `errors` carries them next to the data).
 */
export async function gql<T>(query: string, variables: Record<string, unknown> = {}, options: { partial?: boolean } = {}): Promise<{ data: T; errors: ApiError[] }> {
  const session = storedSession();
  const response = await fetch('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(session ? { authorization: `Bearer ${session.token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  if (response.status === 401) {
    onUnauthenticated();
    throw new ApiFailure('your sign-in has expired or the token was refused; sign in again', 'UNAUTHENTICATED', 401);
  }
  const body = (await response.json().catch(() => ({}))) as { data?: T; errors?: ApiError[] };
  const errors = (body.errors ?? []).filter((e) => e.extensions?.code !== 'FORBIDDEN' || !e.path);
  if (!body.data || (errors.length > 0 && !options.partial)) {
    const first = errors[0] ?? body.errors?.[0];
    throw new ApiFailure(first?.message ?? `the API answered HTTP ${response.status}`, first?.extensions?.code, response.status);
  }
  return { data: body.data, errors };
}

/**
 * Follows a subscription over graphql-sse on /graphql with the user's token and calls `onEvent`
 * for each event (the pages re-read what they show). The client reconnects by itself; returns
 * the way to stop.
 */
export function follow(query: string, variables: Record<string, unknown>, onEvent: () => void): () => void {
  const session = storedSession();
  if (!session) return () => undefined;
  const client = createClient({ url: '/graphql', headers: { authorization: `Bearer ${session.token}` }, retryAttempts: 20 });
  const stop = client.subscribe({ query, variables }, { next: onEvent, error: () => undefined, complete: () => undefined });
  return () => {
    stop();
    client.dispose();
  };
}

/** Downloads a file from the gateway with the token (a plain link cannot carry it) and saves it. */
export async function download(url: string, filename: string, onBytes?: (bytes: number) => void): Promise<number> {
  const session = storedSession();
  const response = await fetch(url, { headers: session ? { authorization: `Bearer ${session.token}` } : {} });
  if (!response.ok || !response.body) {
    const text = await response.text().catch(() => '');
    throw new ApiFailure(messageOfBody(text) ?? `download failed: HTTP ${response.status}`, undefined, response.status);
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    bytes += value.byteLength;
    onBytes?.(bytes);
  }
  const blob = new Blob(chunks as BlobPart[], { type: response.headers.get('content-type') ?? 'application/octet-stream' });
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  return bytes;
}

/** Progress of a console import: the upload, then the rows as the gateway writes them. */
export type ImportEvent =
  | { type: 'upload'; sent: number; total: number }
  | { type: 'progress'; read: number; created: number; updated: number; unchanged: number; rejected: number; bytesRead: number; totalBytes: number }
  | { type: 'summary'; kind: string; read: number; created: number; updated: number; unchanged: number; rejected: number; seconds: number; rowsPerSecond: number; rejectsUrl: string | null }
  | { type: 'failed'; message: string };

/** Uploads a CSV or NDJSON file to `POST /import/{kind}.{format}` and reports each step of its progress. */
export function uploadImport(kind: string, format: 'csv' | 'ndjson', file: File, onEvent: (event: ImportEvent) => void): Promise<void> {
  const session = storedSession();
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    let seen = 0;
    const readEvents = () => {
      const text = xhr.responseText;
      const end = text.lastIndexOf('\n') + 1;
      if (end <= seen) return;
      for (const line of text.slice(seen, end).split('\n')) if (line.trim()) onEvent(JSON.parse(line) as ImportEvent);
      seen = end;
    };
    xhr.open('POST', `/import/${kind}.${format}`);
    if (session) xhr.setRequestHeader('authorization', `Bearer ${session.token}`);
    xhr.setRequestHeader('content-type', format === 'csv' ? 'text/csv' : 'application/x-ndjson');
    xhr.upload.onprogress = (e) => onEvent({ type: 'upload', sent: e.loaded, total: e.lengthComputable ? e.total : file.size });
    xhr.onprogress = readEvents;
    xhr.onload = () => {
      if (xhr.status !== 200) {
        reject(new ApiFailure(messageOfBody(xhr.responseText) ?? `the import was refused: HTTP ${xhr.status}`, undefined, xhr.status));
        return;
      }
      readEvents();
      resolve();
    };
    xhr.onerror = () => reject(new ApiFailure('the gateway could not be reached', undefined, 0));
    xhr.send(file);
  });
}

function messageOfBody(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { errors?: { message: string }[]; error?: { message: string }; message?: string };
    return body.errors?.[0]?.message ?? body.error?.message ?? body.message;
  } catch {
    return undefined;
  }
}
