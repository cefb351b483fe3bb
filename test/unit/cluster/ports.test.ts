import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { isPortRace, startOnFreePort } from '../../cluster/ports.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => {
      servers.push(server);
      resolve(server);
    });
  });
}

describe('startOnFreePort', () => {
  it('picks another port when another process binds the picked one first', async () => {
    const tried: number[] = [];
    const lines: string[] = [];
    const port = await startOnFreePort(
      'probe server',
      async (picked) => {
        tried.push(picked);
        // The first time, an intruder takes the port between the pick and our bind.
        if (tried.length === 1) await listen(picked);
        await listen(picked);
        return picked;
      },
      (line) => lines.push(line),
    );
    expect(tried).toHaveLength(2);
    expect(port).toBe(tried[1]);
    expect(port).not.toBe(tried[0]);
    expect(lines.join('\n')).toMatch(/probe server: port \d+ was taken before it bound it/);
  });

  it('gives up after three races and passes other errors through at once', async () => {
    let attempts = 0;
    const race = startOnFreePort('always raced', async () => {
      attempts++;
      throw new Error('listen tcp 127.0.0.1:1: bind: address already in use');
    });
    await expect(race).rejects.toThrow(/address already in use/);
    expect(attempts).toBe(3);

    attempts = 0;
    const broken = startOnFreePort('broken', async () => {
      attempts++;
      throw new Error('config file not found');
    });
    await expect(broken).rejects.toThrow('config file not found');
    expect(attempts).toBe(1);
  });

  it('recognises the bind errors of Node and of Go programs', () => {
    expect(isPortRace(new Error('listen EADDRINUSE: address already in use 127.0.0.1:80'))).toBe(
      true,
    );
    expect(isPortRace(new Error('prometheus exited: bind: address already in use'))).toBe(true);
    expect(isPortRace(new Error('connection refused'))).toBe(false);
  });
});
