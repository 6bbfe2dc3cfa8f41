import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { brotliDecompressSync } from 'node:zlib';
import { chromium, type Browser } from 'playwright-core';

// --no-sandbox: CI runs as root, where Chromium's sandbox cannot start.
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--no-first-run',
];

/**
 * A headless Chromium for the console tests: CHROMIUM_PATH, else Debian's `chromium` (what CI
 * installs), else — on a fresh machine with only Node — the brotli-packed build that the
 * @sparticuz/chromium npm package ships, with the NSS libraries it brings along.
 * CHROMIUM_PATH=packed forces the last one.
 */
export async function launchBrowser(): Promise<Browser> {
  const wanted = process.env.CHROMIUM_PATH;
  const system =
    wanted && wanted !== 'packed'
      ? wanted
      : wanted === 'packed'
        ? undefined
        : ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
  if (system) return chromium.launch({ executablePath: system, headless: true, args: ARGS });

  const { default: packed } = await import('@sparticuz/chromium');
  const executablePath = await packed.executablePath();
  const libs = join(tmpdir(), 'al2023', 'lib');
  if (!existsSync(libs)) {
    const archive = join(
      dirname(createRequire(import.meta.url).resolve('@sparticuz/chromium')),
      '..',
      '..',
      'bin',
      'al2023.tar.br',
    );
    // The archive holds lib/*; the package itself unpacks it to <tmp>/al2023 on Lambda.
    mkdirSync(dirname(libs), { recursive: true });
    const tar = spawn('tar', ['-x', '-C', dirname(libs)], { stdio: ['pipe', 'inherit', 'inherit'] });
    const exited = new Promise((resolve, reject) =>
      tar.on('exit', (code) => (code === 0 ? resolve(code) : reject(new Error(`tar exited with ${code}`)))),
    );
    // A few MB: unpacked in memory, so tar closing its input at the end-of-archive marker is harmless.
    tar.stdin.on('error', () => undefined);
    tar.stdin.end(brotliDecompressSync(readFileSync(archive)));
    await exited;
  }
  return chromium.launch({
    executablePath,
    headless: true,
    // Not packed.args: those are tuned for Lambda (--single-process ends the browser with its first context).
    args: ARGS,
    env: { ...process.env, LD_LIBRARY_PATH: [libs, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') },
  });
}
