import { Global, Module } from '@nestjs/common';
import { PolicyController } from './policy.controller';
import { PolicyRepository } from './policy.repository';
import { PolicyService } from './policy.service';

/** The container admission policy (docs/access-control.md, "Container policy"); global so every path that creates containers can admit. */
@Global()
@Module({
  controllers: [PolicyController],
  providers: [PolicyRepository, PolicyService],
  exports: [PolicyService],
})
export class PolicyModule {}
