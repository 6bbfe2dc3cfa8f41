/**
 * Development log format: one readable line per entry ("12:04:31 INFO  request  method=GET …")
 * instead of JSON. It formats what pino already serialised and redacted, so it shows nothing the
 * JSON lines would not. Written synchronously to stdout, in order with the start banner.
 */
const LEVELS: Record<string, { label: string; colour: string }> = {
  trace: { label: 'TRACE', colour: '90' },
  debug: { label: 'DEBUG', colour: '90' },
  info: { label: 'INFO ', colour: '32' },
  warn: { label: 'WARN ', colour: '33' },
  error: { label: 'ERROR', colour: '31' },
  fatal: { label: 'FATAL', colour: '35' },
};
const HIDDEN = new Set(['level', 'time', 'msg', 'service', 'err']);

function value(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  return JSON.stringify(v);
}

export function prettyLine(json: string, colour: boolean): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const level = LEVELS[String(entry.level)] ?? { label: String(entry.level).toUpperCase().padEnd(5), colour: '0' };
  const time = typeof entry.time === 'string' ? entry.time.slice(11, 19) : '';
  const paint = (code: string, text: string) => (colour ? `\u001b[${code}m${text}\u001b[0m` : text);
  const fields = Object.entries(entry)
    .filter(([key, v]) => !HIDDEN.has(key) && v !== undefined)
    .map(([key, v]) => `${paint('2', `${key}=`)}${value(v)}`);
  const err = entry.err as { name?: string; message?: string; stack?: string } | undefined;
  const problem = err ? `  ${paint('31', `${err.name ?? 'Error'}: ${err.message ?? ''}`)}` : '';
  const stack = err?.stack ? `\n${err.stack.split('\n').slice(1).join('\n')}` : '';
  return `${paint('2', time)} ${paint(level.colour, level.label)} ${String(entry.msg ?? '')}${problem}${fields.length ? `  ${fields.join(' ')}` : ''}${stack}\n`;
}

/** A pino destination that prints each entry with prettyLine. */
export function prettyDestination(stream: NodeJS.WriteStream = process.stdout): { write(line: string): void } {
  const colour = Boolean(stream.isTTY) && !process.env.NO_COLOR;
  return { write: (line: string) => void stream.write(prettyLine(line, colour)) };
}
