import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches } from 'class-validator';

/**
 * An optional care programme id (`programmes` in policies/network.yaml), as partner registrations
 * and statistics filters take it. The shape is checked here; whether the network knows the
 * programme is PolicyEngine.requireKnownProgramme's question, since the list is policy.
 */
export function ProgrammeId(description: string): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ description, example: 'housing-first' }),
    IsOptional(),
    IsString(),
    Matches(/^[a-z0-9][a-z0-9-]{1,39}$/, { message: 'programme must be a programme id' }),
  );
}
