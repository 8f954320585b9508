import { PollLoop } from './poll-loop';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('PollLoop', () => {
  it('runs one pass at a time, each after the delay the one before returned', async () => {
    let inFlight = 0;
    let mostAtOnce = 0;
    const startedAt: number[] = [];
    const loop = new PollLoop({
      run: async () => {
        startedAt.push(Date.now());
        mostAtOnce = Math.max(mostAtOnce, ++inFlight);
        await sleep(30);
        inFlight--;
        return startedAt.length === 1 ? 100 : 0;
      },
      onError: () => 0,
    });
    loop.start();
    loop.start();
    // Three passes, however slowly a busy machine runs the timers (bounded by the test's timeout).
    while (startedAt.length < 3) await sleep(10);
    await loop.stop();

    expect(mostAtOnce).toBe(1);
    // The first pass asked for 100 ms after its 30 ms of work.
    expect(startedAt[1] - startedAt[0]).toBeGreaterThanOrEqual(125);
  });

  it('keeps going after a pass throws, waiting what onError says', async () => {
    const errors: unknown[] = [];
    let passes = 0;
    const loop = new PollLoop({
      run: async () => {
        passes++;
        if (passes <= 2) throw new Error(`pass ${passes} failed`);
        return 10;
      },
      onError: (error) => {
        errors.push(error);
        return 5;
      },
    });
    loop.start();
    while (passes < 4) await sleep(5);
    await loop.stop();

    expect(errors.map((e) => (e as Error).message)).toEqual(['pass 1 failed', 'pass 2 failed']);
  });

  it('stop waits for the pass in hand and runs none after it', async () => {
    let passes = 0;
    let finished = 0;
    const loop = new PollLoop({
      run: async () => {
        passes++;
        await sleep(50);
        finished++;
        return 0;
      },
      onError: () => 0,
    });
    loop.start();
    // Stopped while a pass is in hand.
    while (passes === 0) await sleep(1);
    await loop.stop();
    expect(finished).toBe(passes);
    const after = passes;
    await sleep(60);
    expect(passes).toBe(after);
  });
});
