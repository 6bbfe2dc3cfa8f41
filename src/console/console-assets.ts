import { Injectable } from '@nestjs/common';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const TYPES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'console.js': 'text/javascript; charset=utf-8',
  'i18n.js': 'text/javascript; charset=utf-8',
  'receipts.js': 'text/javascript; charset=utf-8',
  'console.css': 'text/css; charset=utf-8',
};

/**
 * The console's files, read once at start. They live in src/console/assets (no build step);
 * from dist/ the same folder is found three levels up, so `npm start` and the tests agree.
 */
@Injectable()
export class ConsoleAssets {
  private readonly files = new Map<string, { type: string; body: Buffer }>();

  constructor() {
    const candidates = [
      new URL('./assets/', import.meta.url),
      new URL('../../../src/console/assets/', import.meta.url),
    ].map((u) => fileURLToPath(u));
    const dir = candidates.find((d) => existsSync(`${d}index.html`));
    if (!dir) throw new Error('console assets not found (expected src/console/assets)');
    // A fixed list: a request can never name any other file.
    for (const [name, type] of Object.entries(TYPES))
      this.files.set(name, { type, body: readFileSync(`${dir}${name}`) });
  }

  get(name: string): { type: string; body: Buffer } | undefined {
    return this.files.get(name);
  }
}
