import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ERROR_STATUS, ErrorCode } from './domain-error';

export class ErrorDetailDto {
  @ApiProperty({ example: 'replicas', description: 'Dotted path of the offending field' })
  field: string;
  @ApiProperty({ example: 'max', description: 'The rule that failed' })
  rule: string;
  @ApiProperty({ example: 'replicas must not be greater than 100' })
  message: string;
}

/** The single error shape every route answers with. */
export class ErrorResponseDto {
  @ApiProperty({ example: 400 })
  statusCode: number;
  @ApiProperty({ example: 'Bad Request', description: 'HTTP reason phrase' })
  error: string;
  @ApiProperty({ enum: Object.keys(ERROR_STATUS), example: 'VALIDATION_FAILED' })
  code: ErrorCode;
  @ApiProperty({ example: 'Validation failed: replicas must not be greater than 100' })
  message: string;
  @ApiPropertyOptional({ type: [ErrorDetailDto] })
  details?: ErrorDetailDto[];
  @ApiProperty({ example: '5f0c6d1e-7d1b-4a8e-9d7e-2b1f3c4d5e6f', description: 'Also sent as the X-Request-Id header' })
  requestId: string;
}
