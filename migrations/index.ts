import type { MigrationInterface } from 'typeorm';
import { AccessLogEntryFormat21796075000000 } from './1796075000000-AccessLogEntryFormat2.js';
import { AccessLogMerkleTree1796310000000 } from './1796310000000-AccessLogMerkleTree.js';
import { SealIdempotencyResponses1796200000000 } from './1796200000000-SealIdempotencyResponses.js';
import { ConsoleSignIn1796400000000 } from './1796400000000-ConsoleSignIn.js';
import { ReviewItemClient1796400100000 } from './1796400100000-ReviewItemClient.js';
import { AccessLogCompactStorage1796500000000 } from './1796500000000-AccessLogCompactStorage.js';
import { AccessLogTerms1796500100000 } from './1796500100000-AccessLogTerms.js';
import { AccessLogPartitions1796300000000 } from './1796300000000-AccessLogPartitions.js';
import { PartnerChangeNotify1796100200000 } from './1796100200000-PartnerChangeNotify.js';
import { PartnerClaimMapping1796100100000 } from './1796100100000-PartnerClaimMapping.js';
import { PartnerAssertions1796100000000 } from './1796100000000-PartnerAssertions.js';
import { PartnerOperator1796074000000 } from './1796074000000-PartnerOperator.js';
import { PartnerProgramme1795986073523 } from './1795986073523-PartnerProgramme.js';
import { ReviewItemEntries1795985619580 } from './1795985619580-ReviewItemEntries.js';
import { ReviewDedupe1795369476588 } from './1795369476588-ReviewDedupe.js';
import { ConsentInformedNoObjection1795368655836 } from './1795368655836-ConsentInformedNoObjection.js';
import { NotificationsOutbox1795368508699 } from './1795368508699-NotificationsOutbox.js';
import { HandoverAftercare1795368350376 } from './1795368350376-HandoverAftercare.js';
import { BreakTheGlassAndReviews1795368182309 } from './1795368182309-BreakTheGlassAndReviews.js';
import { InformationRequests1795367910554 } from './1795367910554-InformationRequests.js';
import { Consents1795367705033 } from './1795367705033-Consents.js';
import { ClientMerges1795367323655 } from './1795367323655-ClientMerges.js';
import { CaseNotes1795367233424 } from './1795367233424-CaseNotes.js';
import { CasesCircleContactAttempts1795366978378 } from './1795366978378-CasesCircleContactAttempts.js';
import { ReferralsAndClients1795366754674 } from './1795366754674-ReferralsAndClients.js';
import { AccessLog1795365187940 } from './1795365187940-AccessLog.js';
import { IdempotencyRecords1795363850885 } from './1795363850885-IdempotencyRecords.js';
import { ReferralReasonsAndRequestQueue1796313000000 } from './1796313000000-ReferralReasonsAndRequestQueue.js';
import { ReferrerKind1796313100000 } from './1796313100000-ReferrerKind.js';
import { ReferralReferenceAndClosing1796313200000 } from './1796313200000-ReferralReferenceAndClosing.js';
import { CircleMemberProfession1796313300000 } from './1796313300000-CircleMemberProfession.js';
import { HealthSignals1796313400000 } from './1796313400000-HealthSignals.js';
import { ContactViaNetworkKnowledge1796313500000 } from './1796313500000-ContactViaNetworkKnowledge.js';
import { AgreementStatus1796313600000 } from './1796313600000-AgreementStatus.js';
import { ClientErasure1796313700000 } from './1796313700000-ClientErasure.js';
import { PartnerPrivacyContact1796313800000 } from './1796313800000-PartnerPrivacyContact.js';
import { Foundation1795362609180 } from './1795362609180-Foundation.js';

/**
 * Every migration, oldest first. Listed explicitly (no glob) so the app, the CLI and the tests
 * load exactly the same set under ESM. `npm run migration:generate` appends new ones here.
 */
export const MIGRATIONS: (new () => MigrationInterface)[] = [
  Foundation1795362609180,
  IdempotencyRecords1795363850885,
  AccessLog1795365187940,
  ReferralsAndClients1795366754674,
  CasesCircleContactAttempts1795366978378,
  CaseNotes1795367233424,
  ClientMerges1795367323655,
  Consents1795367705033,
  InformationRequests1795367910554,
  BreakTheGlassAndReviews1795368182309,
  HandoverAftercare1795368350376,
  NotificationsOutbox1795368508699,
  ConsentInformedNoObjection1795368655836,
  ReviewDedupe1795369476588,
  ReviewItemEntries1795985619580,
  PartnerProgramme1795986073523,
  PartnerOperator1796074000000,
  AccessLogEntryFormat21796075000000,
  PartnerAssertions1796100000000,
  PartnerClaimMapping1796100100000,
  PartnerChangeNotify1796100200000,
  SealIdempotencyResponses1796200000000,
  AccessLogPartitions1796300000000,
  AccessLogMerkleTree1796310000000,
  ReferralReasonsAndRequestQueue1796313000000,
  ReferrerKind1796313100000,
  ReferralReferenceAndClosing1796313200000,
  CircleMemberProfession1796313300000,
  HealthSignals1796313400000,
  ContactViaNetworkKnowledge1796313500000,
  AgreementStatus1796313600000,
  ClientErasure1796313700000,
  PartnerPrivacyContact1796313800000,
  ConsoleSignIn1796400000000,
  ReviewItemClient1796400100000,
  AccessLogCompactStorage1796500000000,
  AccessLogTerms1796500100000,
];
