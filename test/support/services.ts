import net from 'node:net';

/**
 * Whether a service-backed suite can run. Locally a missing server skips the suite with a printed
 * reason; in CI (CI=true) a missing server fails the run, since there it must be up.
 */
export async function serviceAvailable(name: string, url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  const reachable = await new Promise<boolean>((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port) }, () => {
      socket.end();
      resolve(true);
    });
    socket.setTimeout(1000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.on('error', () => resolve(false));
  });
  if (reachable) return true;
  if (process.env.CI === 'true') throw new Error(`${name} at ${url} is required in CI but is not reachable`);
  console.warn(`skipping ${name}-backed tests: nothing listens at ${url}`);
  return false;
}
