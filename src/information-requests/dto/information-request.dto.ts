import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsOptional,
  IsString,
  Length,
  Matches,
  MaxLength,
} from 'class-validator';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export class CreateInformationRequestDto {
  @ApiProperty({ format: 'uuid' }) @Matches(UUID, { message: 'caseId must be a UUID' }) caseId!: string;
  @ApiProperty({ example: 'duo-follow-up', description: 'Must equal the X-Purpose header' })
  @Matches(/^[a-z][a-z0-9-]{0,63}$/)
  purpose!: string;
  @ApiProperty({ type: [String], example: ['housing', 'social'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(10)
  @ArrayUnique()
  @Matches(/^[a-z][a-z0-9-]{0,63}$/, { each: true })
  categories!: string[];
  @ApiProperty({ example: 'Joint home visit on rent arrears', minLength: 10 })
  @IsString()
  @Length(10, 2000)
  justification!: string;
}

export class ReviewDto {
  @ApiPropertyOptional({ description: 'Why the disclosure is (not) necessary' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  note?: string;
}
