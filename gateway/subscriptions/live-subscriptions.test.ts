import { OneRunningOneQueued } from './live-subscriptions';

/** A task whose end the test decides, recording when it started. */
function controlled(log: string[], name: string) {
  let finish!: (value: string) => void;
  let fail!: (error: Error) => void;
  const task = () => {
    log.push(`start ${name}`);
    return new Promise<string>((resolve, reject) => {
      finish = resolve;
      fail = reject;
    });
  };
  return { task, end: () => finish(name), fail: () => fail(new Error(name)) };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('OneRunningOneQueued (the executions of one entity for its burst of live events)', () => {
  it('runs the first at once, queues one run behind it for everything asked meanwhile, and answers each from a run that started after it was asked', async () => {
    const runs = new OneRunningOneQueued<string>();
    const log: string[] = [];
    const first = controlled(log, 'first');
    const second = controlled(log, 'second');
    const third = controlled(log, 'third');

    const a = runs.run('flow-1', first.task);
    const b = runs.run('flow-1', second.task);
    const c = runs.run('flow-1', third.task);
    expect(log).toEqual(['start first']);
    first.end();
    expect(await a).toBe('first');
    await settle();
    expect(log).toEqual(['start first', 'start second']);
    // Asked while the second runs: a new queued run, not the running one.
    const fourth = controlled(log, 'fourth');
    const d = runs.run('flow-1', fourth.task);
    second.end();
    expect([await b, await c]).toEqual(['second', 'second']);
    await settle();
    expect(log).toEqual(['start first', 'start second', 'start fourth']);
    fourth.end();
    expect(await d).toBe('fourth');
    await settle();
    expect(runs.size).toBe(0);
  });

  it('runs different lanes side by side', async () => {
    const runs = new OneRunningOneQueued<string>();
    const log: string[] = [];
    const one = controlled(log, 'one');
    const other = controlled(log, 'other');
    const a = runs.run('flow-1', one.task);
    const b = runs.run('flow-2', other.task);
    expect(log).toEqual(['start one', 'start other']);
    other.end();
    one.end();
    expect([await a, await b]).toEqual(['one', 'other']);
  });

  it('starts the queued run after a failed one, and is empty once nothing runs', async () => {
    const runs = new OneRunningOneQueued<string>();
    const log: string[] = [];
    const failing = controlled(log, 'failing');
    const next = controlled(log, 'next');
    const a = runs.run('flow-1', failing.task);
    const b = runs.run('flow-1', next.task);
    failing.fail();
    await expect(a).rejects.toThrow('failing');
    await settle();
    expect(log).toEqual(['start failing', 'start next']);
    next.end();
    expect(await b).toBe('next');
    await settle();
    expect(runs.size).toBe(0);
  });
});
