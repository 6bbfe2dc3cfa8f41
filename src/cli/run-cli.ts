/**
 * Runs a command-line tool: its problems are printed as their message alone (an operator's next
 * step, never a stack trace that might carry values), with `failureCode` as the exit status.
 */
export function runCli(main: () => Promise<void> | void, failureCode = 1): void {
  Promise.resolve()
    .then(main)
    .catch((error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = failureCode;
    });
}
