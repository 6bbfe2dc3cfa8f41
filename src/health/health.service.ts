import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ProblemException } from '../common/problem/problem.js';

export interface Readiness {
  status: 'ready';
  checks: Record<string, string>;
}

@Injectable()
export class HealthService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async readiness(): Promise<Readiness> {
    const checks: Record<string, string> = {};
    try {
      await this.dataSource.query('SELECT 1');
      checks.database = 'up';
      checks.migrations = (await this.dataSource.showMigrations()) ? 'pending' : 'applied';
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
