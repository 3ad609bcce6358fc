import { describe, expect, it } from 'vitest';
import { continuousQueryStatements, retentionPolicyStatement } from './continuous-queries.js';

describe('downsampling statements', () => {
  it('creates an infinite rp_5min policy', () => {
    expect(retentionPolicyStatement('power_monitor')).toBe(
      'CREATE RETENTION POLICY "rp_5min" ON "power_monitor" DURATION INF REPLICATION 1',
    );
  });

  it('stores 5-minute means and energy of home, net, solar and each CT', () => {
    const statements = continuousQueryStatements('power_monitor', '');
    expect(statements).toHaveLength(4);
    expect(statements[0]).toBe(
      'CREATE CONTINUOUS QUERY "cq_home_load_5m" ON "power_monitor" BEGIN SELECT mean("power") AS "power", mean("current") AS "current", integral("power") / 3600000 AS "energy" INTO "power_monitor"."rp_5min"."home_load_5m" FROM "power_monitor".."home_load" GROUP BY time(5m), "id" END',
    );
    expect(statements[3]).toContain('FROM "power_monitor".."raw_cts" GROUP BY time(5m), "id", "ct"');
  });

  it('reads from the configured retention policy and quotes names', () => {
    const [statement] = continuousQueryStatements('my "db"', 'two_weeks');
    expect(statement).toContain('FROM "my \\"db\\""."two_weeks"."home_load"');
  });
});
