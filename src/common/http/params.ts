import { ApiProperty } from '@nestjs/swagger';
import { IsString, IsUUID, Matches } from 'class-validator';

export class SlugParam {
  @ApiProperty()
  @IsString()
  @Matches(/^[a-z0-9][a-z0-9-]{0,63}$/, { message: 'id must be a slug' })
  id!: string;
}

export class UuidParam {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  id!: string;
}
