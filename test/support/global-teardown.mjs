export default async function globalTeardown() {
  // Left running if another run in this clone still uses it; that run stops it.
  await globalThis.__SCHAKEL_EMBEDDED__?.release();
}
