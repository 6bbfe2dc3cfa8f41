export default async function globalTeardown() {
  await globalThis.__SCHAKEL_EMBEDDED__?.stop();
}
