import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { Logger } from 'pino';

/**
 * A streamed download that fails half-way must never look complete. Once the status line is out,
 * the only honest signals left are in the body and the transfer itself, so on a failure this:
 * - logs it (request id and error class only: a driver's message can hold SQL parameters);
 * - for line-delimited formats, writes one last line saying the file is incomplete;
 * - then closes the connection without the terminating chunk, so every HTTP client reports an
 *   incomplete transfer instead of a short file.
 * A failure before the first chunk happens before the response starts, so it becomes an ordinary
 * problem+json error (the first chunk is read before the stream is handed over).
 */
export interface GuardedStreamOptions {
  /** The raw response whose connection is closed on failure. */
  response: ServerResponse;
  requestId: string;
  logger: Logger;
  /** What is being streamed, for the log (no personal data). */
  what: string;
  /** The last line to write on failure (with its newline), for formats that have lines. */
  errorLine?: (requestId: string) => string;
}

export async function guardedStream(source: AsyncIterable<unknown>, options: GuardedStreamOptions): Promise<Readable> {
  const iterator = source[Symbol.asyncIterator]();
  // A failure here propagates to the caller while a proper error status can still be sent.
  let pending: IteratorResult<unknown> | undefined = await iterator.next();
  let failed = false;

  const cutOff = (stream: Readable) => {
    const socket = options.response.socket;
    // end(), not destroy(): what was written (the error line included) is flushed first, and the
    // HTTP response itself is never ended, so its final zero-length chunk is never sent.
    if (socket && !socket.destroyed) socket.end();
    else stream.destroy();
  };
  // Only once the response has taken every chunk pushed so far (a slow client may leave some
  // buffered here), so nothing written before the failure is lost.
  const cutOffWhenTaken = (stream: Readable) => {
    if (stream.readableLength === 0) return cutOff(stream);
    const check = () => {
      if (stream.readableLength > 0) return;
      stream.off('data', check);
      cutOff(stream);
    };
    stream.on('data', check);
  };

  const pull = async (stream: Readable): Promise<void> => {
    // After a failure nothing more is pushed, not even the end: the response must stay unfinished.
    if (failed) return;
    try {
      const next = pending ?? (await iterator.next());
      pending = undefined;
      if (next.done) stream.push(null);
      else stream.push(typeof next.value === 'string' || Buffer.isBuffer(next.value) ? next.value : String(next.value));
    } catch (error) {
      failed = true;
      const err = error as { name?: string; code?: string };
      options.logger.error(
        { requestId: options.requestId, stream: options.what, err: { name: err?.name, code: err?.code } },
        'streamed response failed after it had started; the connection was closed without completing it',
      );
      const line = options.errorLine?.(options.requestId);
      if (line) stream.push(line);
      cutOffWhenTaken(stream);
    }
  };

  return new Readable({
    read() {
      void pull(this);
    },
    destroy(error, callback) {
      // The client went away or the response was cut off: stop reading the source.
      void Promise.resolve(iterator.return?.()).catch(() => undefined);
      callback(error);
    },
  });
}
