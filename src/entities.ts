import {
  AccessLogCheckpoint,
  AccessLogEntry,
  AccessLogLink,
  AccessLogUnchained,
} from './access-log/access-log.entities.js';
import { CareCase, CaseNote, CaseTransition, CircleMember, ContactAttempt } from './cases/case.entity.js';
import { Client, ClientMerge } from './clients/client.entity.js';
import { Referral } from './referrals/referral.entity.js';
import { Consent } from './consent/consent.entity.js';
import { InformationRequest } from './information-requests/information-request.entity.js';
import { EmergencyGrant } from './cases/emergency-grant.entity.js';
import { ReviewItem, ReviewItemEntry } from './oversight/review-item.entity.js';
import { PartnerNotification, WebhookDelivery } from './notifications/notification.entities.js';
import { IdempotencyRecord } from './common/idempotency/idempotency-record.entity.js';
import { Agreement, AgreementParty } from './partners/agreements/agreement.entity.js';
import { Partner } from './partners/partner.entity.js';
import { ConsoleSession } from './auth/console/console-session.entity.js';

/** Every entity of the gateway, in one list shared by the app, the migration CLI and the drift test. */
export const ENTITIES = [
  Partner,
  Agreement,
  AgreementParty,
  IdempotencyRecord,
  AccessLogEntry,
  AccessLogLink,
  AccessLogCheckpoint,
  AccessLogUnchained,
  Client,
  ClientMerge,
  Referral,
  CareCase,
  CaseTransition,
  ContactAttempt,
  CircleMember,
  CaseNote,
  Consent,
  InformationRequest,
  EmergencyGrant,
  ReviewItem,
  ReviewItemEntry,
  PartnerNotification,
  WebhookDelivery,
  ConsoleSession,
];
