import { Injectable } from '@nestjs/common';
import { ProblemException } from '../common/problem/problem.js';
import { HealthRepository } from './health.repository.js';

export interface Readiness {
  status: 'ready';
  checks: Record<string, string>;
}

@Injectable()
export class HealthService {
  constructor(private readonly database: HealthRepository) {}

  async readiness(): Promise<Readiness> {
    const checks: Record<string, string> = {};
    try {
      await this.database.reachable();
      checks.database = 'up';
      checks.migrations = (await this.database.migrationsPending()) ? 'pending' : 'applied';
    } catch {
      checks.database = 'down';
    }
    const failing = Object.entries(checks).filter(([, state]) => !['up', 'applied'].includes(state));
    if (checks.database !== 'up' || failing.length > 0) {
      throw new ProblemException('service-unavailable', 'The gateway is not ready', { checks }, { 'retry-after': '5' });
    }
    return { status: 'ready', checks };
  }
}
