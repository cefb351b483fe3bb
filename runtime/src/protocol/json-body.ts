import type { FastifyInstance } from 'fastify';
import { badRequest } from '../errors.js';
import { keepRawBody } from './raw-body.js';

/**
 * Deepest nesting of arrays and objects a request body may have. A V2 request of a rank-r
 * tensor nests r + 3 levels; 64 leaves room for any model and its parameters. Deeper bodies
 * are refused before JSON.parse, which would otherwise build an array per level (an 8 MiB
 * body of `[[[[…` is four million arrays, hundreds of megabytes).
 */
export const MAX_JSON_DEPTH = 64;

const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** application/json bodies, parsed with the depth check and without prototype keys. */
export function registerJsonBody(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    keepRawBody(request, body as Buffer);
    try {
      done(null, parseJsonBody(body as Buffer, 'the body'));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}

/** JSON.parse after a byte scan for nesting depth; `what` names the part in the 400. */
export function parseJsonBody(bytes: Buffer, what: string): unknown {
  if (nestsDeeperThan(bytes, MAX_JSON_DEPTH)) {
    throw badRequest(
      `${what} nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels; no tensor needs that`,
    );
  }
  const text = bytes.toString('utf8');
  try {
    // The reviver costs a call per value, so it runs only when a prototype key may be present.
    const risky = text.includes('"__proto__"') || text.includes('"constructor"');
    return risky ? JSON.parse(text, dropPrototypeKeys) : JSON.parse(text);
  } catch (err) {
    throw badRequest(`${what} is not valid JSON: ${(err as Error).message.slice(0, 200)}`);
  }
}

function nestsDeeperThan(bytes: Buffer, max: number): boolean {
  // Nesting deeper than max needs more than max opening brackets. Counting them with
  // Buffer.indexOf (native) costs far less than the byte loop below, which a CPU profile
  // of 10 kB tensor bodies showed at ~2 % of the JavaScript thread; V2 bodies have a handful.
  if (openingsAtMost(bytes, max)) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (inString) {
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) inString = false;
    } else if (b === QUOTE) {
      inString = true;
    } else if (b === OPEN_ARRAY || b === OPEN_OBJECT) {
      if (++depth > max) return true;
    } else if (b === CLOSE_ARRAY || b === CLOSE_OBJECT) {
      depth--;
    }
  }
  return false;
}

/** Whether `[` and `{` occur at most `max` times in all (inside strings too). */
function openingsAtMost(bytes: Buffer, max: number): boolean {
  let count = 0;
  for (const open of [OPEN_ARRAY, OPEN_OBJECT]) {
    let at = bytes.indexOf(open);
    while (at !== -1) {
      if (++count > max) return false;
      at = bytes.indexOf(open, at + 1);
    }
  }
  return true;
}

function dropPrototypeKeys(key: string, value: unknown): unknown {
  return key === '__proto__' || key === 'constructor' ? undefined : value;
}
