import autocannon from 'autocannon';
import { reply, runMain, workerInput } from '../support/processes.js';
import { cpuPerOperation, readCpu, type CpuWatch } from '../support/cpu.js';
import { nowUs, type Measurement, type RowLength } from '../support/stats.js';

/**
 * The HTTP load generator, in its own process (never inside the server under test): autocannon
 * with a fixed number of connections, each sending its next request when the last one answered.
 *
 * A scenario is a list of requests sent in turn on each connection. A request may keep a field of
 * its JSON answer (`capture`) that a later request puts in its path (`{name}`), e.g. an
 * information request's id for its disclosure.
 */
export interface LoadStep {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: unknown;
  capture?: { name: string; field: string };
}

export interface LoadInput {
  /** One or more base URLs (several gateway processes): autocannon spreads the connections over them. */
  urls: string[];
  connections: number;
  length: RowLength;
  steps: LoadStep[];
  /** Whose CPU to count during the measured window (the servers under test, PostgreSQL). */
  cpu?: CpuWatch;
}

function requests(steps: LoadStep[]): autocannon.Request[] {
  return steps.map((step) => {
    const request: autocannon.Request = {
      method: step.method,
      path: step.path,
      headers: {
        ...(step.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...step.headers,
      },
      ...(step.body !== undefined ? { body: JSON.stringify(step.body) } : {}),
    };
    if (/\{[a-z]+\}/i.test(step.path)) {
      // Falsy restarts the connection's sequence: a request whose id was not captured is not sent.
      request.setupRequest = ((req: autocannon.Request, context: Record<string, unknown>) => {
        let missing = false;
        const path = step.path.replace(/\{([a-z]+)\}/gi, (_, name: string) => {
          missing ||= context[name] === undefined;
          return String(context[name]);
        });
        return missing ? undefined : { ...req, path };
      }) as (req: autocannon.Request, context: object) => autocannon.Request;
    }
    if (step.capture) {
      const { name, field } = step.capture;
      request.onResponse = (status: number, body: string, context: object) => {
        const values = context as Record<string, unknown>;
        values[name] = status >= 200 && status < 300 ? (JSON.parse(body) as Record<string, unknown>)[field] : undefined;
      };
    }
    return request;
  });
}

/** One autocannon run; with several URLs, autocannon spreads the connections over them round-robin (one histogram). */
async function measure(input: LoadInput, seconds: number): Promise<Measurement> {
  const cpuBefore = readCpu(input.cpu);
  const startUs = nowUs();
  const result = await autocannon({
    url: (input.urls.length === 1 ? input.urls[0] : input.urls) as string,
    connections: input.connections,
    duration: seconds,
    // A count overrides the duration: every connection completes its requests, however slow.
    ...(input.length.perLoop ? { amount: input.length.perLoop * input.connections * input.steps.length } : {}),
    requests: requests(input.steps),
    timeout: 30,
  });
  const endUs = nowUs();
  const cpuAfter = readCpu(input.cpu);
  const statusCodes: Record<string, number> = {};
  let ok = 0;
  let failed = result.errors + result.timeouts;
  const stats = (result as unknown as { statusCodeStats?: Record<string, { count: number }> }).statusCodeStats ?? {};
  for (const [code, { count }] of Object.entries(stats)) {
    statusCodes[code] = count;
    if (code.startsWith('2')) ok += count;
    else failed += count;
  }
  return {
    operations: ok,
    seconds: result.duration,
    perSecond: ok / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: failed,
    statusCodes,
    windowUs: [startUs, endUs],
    ...(cpuPerOperation(cpuBefore, cpuAfter, ok) ? { cpuMsPerOp: cpuPerOperation(cpuBefore, cpuAfter, ok) } : {}),
  };
}

runMain(async () => {
  const input = workerInput<LoadInput>();
  if (input.length.warmupSeconds > 0 && !input.length.perLoop) await measure(input, input.length.warmupSeconds);
  reply(await measure(input, input.length.seconds));
});
