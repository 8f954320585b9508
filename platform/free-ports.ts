import net from 'node:net';

/**
 * Free ports for the processes a test, a bench or a script starts on 127.0.0.1 (stacks, trytond,
 * in-process servers that must know each other's address before they listen).
 *
 * They come from below the kernel's ephemeral range (32768 and up), so no outgoing
 * connection takes one between being picked and being bound, and each Jest worker has a block of
 * its own, so two suites running side by side never pick the same port: a stack that started on a
 * port another suite had just let go would call that suite's services (CI once saw the integration
 * subgraph's address answered by another stack's gateway). Processes outside Jest use block 0.
 */
const PORT_BLOCKS = { first: 20_000, size: 1_000, count: 12 } as const;
const portBlockStart = PORT_BLOCKS.first + (Number(process.env.JEST_WORKER_ID ?? 0) % PORT_BLOCKS.count) * PORT_BLOCKS.size;
// A random start: Jest loads this module afresh for each suite of a worker.
let nextPortOffset = Math.floor(Math.random() * PORT_BLOCKS.size);

/** Finds `count` free TCP ports on 127.0.0.1 in this process's block. */
export async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  for (let tried = 0; ports.length < count; tried++) {
    if (tried === PORT_BLOCKS.size) throw new Error(`no ${count} free ports in ${portBlockStart}-${portBlockStart + PORT_BLOCKS.size - 1}`);
    const port = portBlockStart + (nextPortOffset++ % PORT_BLOCKS.size);
    if (await canListenOn(port)) ports.push(port);
  }
  return ports;
}

function canListenOn(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
