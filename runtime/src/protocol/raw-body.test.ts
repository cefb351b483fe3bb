import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { registerBinaryBodies } from './binary-body.js';
import { registerJsonBody } from './json-body.js';
import { decorateRawBody } from './raw-body.js';

/** A server whose route answers with the bytes its parser kept, if any. */
async function server() {
  const app = Fastify();
  decorateRawBody(app);
  registerJsonBody(app);
  registerBinaryBodies(app);
  app.addHook('preParsing', (request, _reply, payload, done) => {
    request.keepRawBody = request.headers['x-keep'] === '1';
    done(null, payload);
  });
  app.post('/', (request) => ({ kept: request.rawBody?.toString('latin1') ?? null }));
  await app.ready();
  return app;
}

describe('raw body bytes', () => {
  it('are kept only for requests that ask, as the JSON and binary parsers read them', async () => {
    const app = await server();
    const json = '{"a":[1,2]}';
    const asked = await app.inject({
      method: 'POST',
      url: '/',
      headers: { 'content-type': 'application/json', 'x-keep': '1' },
      payload: json,
    });
    expect(asked.json()).toEqual({ kept: json });
    const binary = Buffer.concat([Buffer.from('{"b":1}'), Buffer.from([0, 255, 7])]);
    const binaryAsked = await app.inject({
      method: 'POST',
      url: '/',
      headers: {
        'content-type': 'application/octet-stream',
        'inference-header-content-length': '7',
        'x-keep': '1',
      },
      payload: binary,
    });
    expect(binaryAsked.json()).toEqual({ kept: binary.toString('latin1') });
    const notAsked = await app.inject({
      method: 'POST',
      url: '/',
      headers: { 'content-type': 'application/json' },
      payload: json,
    });
    expect(notAsked.json()).toEqual({ kept: null });
  });
});
