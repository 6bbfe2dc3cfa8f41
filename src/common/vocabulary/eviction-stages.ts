/** Where the eviction procedure stands when a tenant is referred (referrals, and the statistics that count them). */
export const EVICTION_STAGES = ['none', 'considered', 'started'] as const;
export type EvictionStage = (typeof EVICTION_STAGES)[number];
