import type { WebhookDeliveries } from '@selfie-lora/core';
import type { SqlSession } from './sql-session.js';

export function webhookDeliveryRepository(session: SqlSession): WebhookDeliveries {
  return {
    seen: (deliveryId: string) =>
      session.read('SELECT 1 FROM webhook_deliveries WHERE id = $1', [deliveryId]).map((rows) => rows.length > 0),
    // A concurrent first delivery of the same id waits on the primary key, then finds it taken.
    recordOnce: (deliveryId: string, receivedAt: Date) =>
      session
        .write((sql) =>
          sql('INSERT INTO webhook_deliveries (id, received_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING RETURNING id', [
            deliveryId,
            receivedAt,
          ]),
        )
        .map((rows) => rows.length === 1),
    pruneReceivedBefore: (cutoff: Date) =>
      session.write((sql) => sql('DELETE FROM webhook_deliveries WHERE received_at < $1 RETURNING id', [cutoff])).map((rows) => rows.length),
  };
}
