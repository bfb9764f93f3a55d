import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import { Pool } from 'pg';
import { PrismaClient } from '../generated/prisma/client';

/** Prisma 7 client over the `pg` driver adapter. Only repositories inject it. */
@Injectable()
export class PrismaService extends PrismaClient implements OnModuleDestroy {
  private readonly pool: Pool;

  constructor(url: string, poolSize: number) {
    const pool = new Pool({ connectionString: url, max: poolSize });
    // An idle connection the server drops (restart, failover, admin) must not crash the process;
    // the pool replaces it on next use.
    pool.on('error', (err) => new Logger('Database').warn(`Idle database connection lost: ${err.message}`));
    super({ adapter: new PrismaPg(pool) });
    this.pool = pool;
  }

  async onModuleDestroy(): Promise<void> {
    await this.$disconnect();
    if (!this.pool.ended) await this.pool.end();
  }
}
