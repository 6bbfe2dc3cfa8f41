/**
 * Shared FHIR R4 plumbing for the exports: media types, the gateway's own code-system
 * namespace, content negotiation between a Bundle and NDJSON, and Bundle/NDJSON framing.
 * The mappers themselves live next to what they map (access log, consent).
 */

export const FHIR_JSON = 'application/fhir+json';
/** One resource per line, as FHIR Bulk Data exports use. */
export const FHIR_NDJSON = 'application/fhir+ndjson';
export type FhirMediaType = typeof FHIR_JSON | typeof FHIR_NDJSON;

/** Namespace of the gateway's own code systems and extensions (not resolvable; stable identifiers). */
export const SCHAKEL_FHIR = 'https://schakel.example/fhir';
export const PURPOSE_SYSTEM = `${SCHAKEL_FHIR}/CodeSystem/purpose`;
export const PARTNER_SYSTEM = 'urn:schakel:partner';

export interface FhirResource {
  resourceType: string;
  id?: string;
  [element: string]: unknown;
}

/** A reference to a partner organisation by its gateway id (we never name people). */
export function organisationRef(partnerId: string) {
  return { type: 'Organization', identifier: { system: PARTNER_SYSTEM, value: partnerId } };
}

/**
 * FHIR JSON forbids null, empty strings, empty arrays and empty objects; the mappers write
 * optional elements freely and this strips the absent ones.
 */
export function compact<T>(value: T): T {
  if (Array.isArray(value)) {
    return value.map(compact).filter((v) => !isEmpty(v)) as T;
  }
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      const c = compact(v);
      if (!isEmpty(c)) out[key] = c;
    }
    return out as T;
  }
  return value;
}

function isEmpty(v: unknown): boolean {
  return (
    v === null ||
    v === undefined ||
    v === '' ||
    (Array.isArray(v) && v.length === 0) ||
    (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0)
  );
}

/**
 * Which FHIR representation the Accept header prefers (by q-value); `fallback` when it names
 * neither or both equally, so a plain `Accept: *\/*` gets the endpoint's default.
 */
export function preferredFhirMediaType(accept: string | undefined, fallback: FhirMediaType): FhirMediaType {
  const q = { [FHIR_JSON]: 0, [FHIR_NDJSON]: 0 } as Record<FhirMediaType, number>;
  for (const part of (accept ?? '').split(',')) {
    const [type, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    if (type !== FHIR_JSON && type !== FHIR_NDJSON) continue;
    const qParam = params.find((p) => p.startsWith('q='));
    const value = qParam ? Number.parseFloat(qParam.slice(2)) : 1;
    q[type] = Math.max(q[type], Number.isFinite(value) ? value : 0);
  }
  const other = fallback === FHIR_JSON ? FHIR_NDJSON : FHIR_JSON;
  return q[other] > q[fallback] ? other : fallback;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function entryOf(resource: FhirResource) {
  return resource.id && UUID.test(resource.id) ? { fullUrl: `urn:uuid:${resource.id}`, resource } : { resource };
}

/** A `collection` Bundle: a set of resources with no transaction or search semantics. */
export function bundleOf(resources: FhirResource[], timestamp = new Date()): FhirResource {
  return compact({
    resourceType: 'Bundle',
    type: 'collection',
    timestamp: timestamp.toISOString(),
    entry: resources.map(entryOf),
  });
}

/** The same Bundle as text chunks, one entry at a time, so a large export stays in constant memory. */
export async function* bundleChunks(
  resources: AsyncIterable<FhirResource>,
  timestamp = new Date(),
): AsyncGenerator<string> {
  yield `{"resourceType":"Bundle","type":"collection","timestamp":${JSON.stringify(timestamp.toISOString())}`;
  let first = true;
  for await (const resource of resources) {
    // No "entry" key until there is an entry: FHIR JSON does not allow an empty array.
    yield `${first ? ',"entry":[' : ','}${JSON.stringify(entryOf(resource))}`;
    first = false;
  }
  yield first ? '}\n' : ']}\n';
}

export async function* ndjsonLines(resources: AsyncIterable<FhirResource>): AsyncGenerator<string> {
  for await (const resource of resources) yield `${JSON.stringify(resource)}\n`;
}

export function ndjson(resources: FhirResource[]): string {
  return resources.map((r) => `${JSON.stringify(r)}\n`).join('');
}
