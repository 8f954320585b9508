import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { createLogger } from '../platform/logger';
import { BALANCER_STATUS_PATH, type LoadBalancer, type TargetStatus, createLoadBalancer } from './load-balancer';

/** A stand-in instance: answers its name, counts what reached it, and can be made to misbehave. */
interface Instance {
  name: string;
  url: string;
  /** Requests that reached it, as "METHOD path". */
  received: string[];
  ready: boolean;
  /** Drop the connection of the next requests without answering, as a process killed mid-request. */
  dropRequests: boolean;
  /** Milliseconds to wait before answering. */
  delayMs: number;
  server: http.Server;
}

async function startInstance(name: string): Promise<Instance> {
  const instance = { name, received: [] as string[], ready: true, dropRequests: false, delayMs: 0 } as Instance;
  instance.server = http.createServer((request, response) => {
    if (request.url === '/ready') {
      response.writeHead(instance.ready ? 200 : 503).end();
      return;
    }
    request.resume();
    request.on('end', () => {
      instance.received.push(`${request.method} ${request.url}`);
      if (instance.dropRequests) {
        request.socket.destroy();
        return;
      }
      setTimeout(() => {
        if (!response.destroyed) response.writeHead(200, { 'content-type': 'text/plain' }).end(name);
      }, instance.delayMs);
    });
  });
  await new Promise<void>((resolve) => instance.server.listen(0, '127.0.0.1', () => resolve()));
  instance.url = `http://127.0.0.1:${(instance.server.address() as AddressInfo).port}`;
  return instance;
}

async function stopInstance(instance: Instance): Promise<void> {
  instance.server.closeAllConnections();
  await new Promise((resolve) => instance.server.close(resolve));
}

describe('load balancer', () => {
  let instances: Instance[];
  let balancer: LoadBalancer;
  let url: string;

  beforeEach(async () => {
    instances = [await startInstance('first'), await startInstance('second')];
    // Health checks far apart: each test says when an instance's health is looked at.
    balancer = createLoadBalancer({ service: { name: 'gateway', targets: instances.map((i) => i.url) }, logger: createLogger('balancer', 'silent'), healthIntervalMs: 60_000 });
    await new Promise<void>((resolve) => balancer.server.listen(0, '127.0.0.1', () => resolve()));
    url = `http://127.0.0.1:${(balancer.server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    await balancer.close();
    await Promise.all(instances.filter((i) => i.server.listening).map(stopInstance));
  });

  const send = async (method: string, path = '/graphql') => {
    const response = await fetch(`${url}${path}`, { method, ...(method === 'POST' ? { body: '{"query":"mutation { placeOrder }"}', headers: { 'content-type': 'application/json' } } : {}) });
    return { status: response.status, text: await response.text() };
  };

  it('takes turns between the instances', async () => {
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push((await send('GET')).text);
    expect(answers.sort()).toEqual(['first', 'first', 'second', 'second']);
  });

  it('sends a POST to the other instance when one refuses the connection, and takes the refusing one out of rotation', async () => {
    await stopInstance(instances[0]);

    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await send('POST'));

    expect(answers).toEqual(Array(4).fill({ status: 200, text: 'second' }));
    expect(instances[1].received).toHaveLength(4);
    const status = (await (await fetch(`${url}${BALANCER_STATUS_PATH}`)).json()) as { targets: TargetStatus[] };
    expect(status.targets.map((t) => [t.healthy, t.retriedElsewhere, t.failed])).toEqual([
      [false, 1, 0],
      [true, 0, 0],
    ]);
  });

  it('sends a GET lost with its instance again to the other one', async () => {
    instances[0].dropRequests = true;
    const answers = [await send('GET', '/customers'), await send('GET', '/customers')];
    expect(answers).toEqual([
      { status: 200, text: 'second' },
      { status: 200, text: 'second' },
    ]);
    expect(instances[0].received).toEqual(['GET /customers']);
  });

  it('answers 502 UPSTREAM_UNAVAILABLE for a POST lost with its instance, and never sends it twice', async () => {
    instances[0].dropRequests = true;
    instances[1].dropRequests = true;
    const lost = await send('POST');

    expect(lost.status).toBe(502);
    expect(JSON.parse(lost.text).error.code).toBe('UPSTREAM_UNAVAILABLE');
    expect([...instances[0].received, ...instances[1].received]).toEqual(['POST /graphql']);
  });

  it('leaves out an instance whose readiness fails until it is ready again', async () => {
    instances[0].ready = false;
    await balancer.checkHealth();
    const whileUnready = [await send('GET'), await send('GET'), await send('GET')].map((a) => a.text);
    instances[0].ready = true;
    await balancer.checkHealth();
    const afterwards = [await send('GET'), await send('GET')].map((a) => a.text);

    expect(whileUnready).toEqual(['second', 'second', 'second']);
    expect(afterwards.sort()).toEqual(['first', 'second']);
  });

  it('keeps an instance in rotation when a client dies before it was answered', async () => {
    for (const instance of instances) instance.delayMs = 300;
    // A client process killed mid-request: its kernel resets the connection.
    const client = net.connect(Number(new URL(url).port), '127.0.0.1');
    await new Promise((resolve) => client.once('connect', resolve));
    client.write('POST /graphql HTTP/1.1\r\nHost: balancer\r\nContent-Length: 2\r\n\r\n{}');
    await new Promise((resolve) => setTimeout(resolve, 50));
    client.resetAndDestroy();
    await new Promise((resolve) => setTimeout(resolve, 400));

    expect(balancer.status().map((t) => [t.healthy, t.failed])).toEqual([
      [true, 0],
      [true, 0],
    ]);
  });

  it('pipes a WebSocket upgrade to an instance and back', async () => {
    for (const instance of instances) {
      instance.server.on('upgrade', (request: http.IncomingMessage, socket: net.Socket) => {
        socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
        // Echoes what the client sends after the switch, with the instance's name.
        socket.on('data', (data) => socket.write(`${instance.name}:${data}`));
        socket.on('end', () => socket.end());
      });
    }
    const client = net.connect(Number(new URL(url).port), '127.0.0.1');
    await new Promise((resolve) => client.once('connect', resolve));
    const received: string[] = [];
    client.on('data', (data) => received.push(String(data)));
    client.write('GET /graphql HTTP/1.1\r\nHost: balancer\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
    await new Promise((resolve) => setTimeout(resolve, 200));
    client.write('ping');
    await new Promise((resolve) => setTimeout(resolve, 200));
    client.destroy();

    const text = received.join('');
    expect(text).toMatch(/^HTTP\/1\.1 101 Switching Protocols/);
    expect(text).toMatch(/(first|second):ping$/);
  });
});
