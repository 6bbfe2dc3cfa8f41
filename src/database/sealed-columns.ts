/**
 * Every column that holds a sealed (AES-256-GCM) value, for key rotation. Add new ones here.
 * `key` names the primary-key columns when they are not `id`.
 */
export const SEALED_COLUMNS: { table: string; columns: string[]; key?: string[] }[] = [
  { table: 'client', columns: ['identity_sealed', 'contact_sealed', 'national_number_sealed'] },
  {
    table: 'referral',
    columns: [
      'housing_sealed',
      'health_signals_sealed',
      'description_sealed',
      'tenant_informed_note_sealed',
      'referrer_contact_sealed',
      'decision_reason_sealed',
    ],
  },
  { table: 'care_case', columns: ['care_plan_sealed', 'crisis_plan_sealed', 'safety_flags_sealed'] },
  { table: 'case_transition', columns: ['reason_sealed'] },
  { table: 'case_note', columns: ['text_sealed'] },
  { table: 'information_request', columns: ['justification_sealed', 'review_note_sealed'] },
  { table: 'emergency_grant', columns: ['justification_sealed'] },
  { table: 'review_item', columns: ['summary_sealed', 'note_sealed'] },
  { table: 'consent', columns: ['representative_sealed', 'evidence_description_sealed'] },
  { table: 'idempotency_record', columns: ['response_sealed'], key: ['partner_id', 'key'] },
];
