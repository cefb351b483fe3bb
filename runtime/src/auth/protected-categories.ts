import type { RuntimeConfig } from '../config/index.js';
import type { RouteCategory } from '../protocol/route-config.js';

/** Whether a route or gRPC method of this category needs credentials. */
export function protectedCategory(
  config: RuntimeConfig,
  category: RouteCategory | undefined,
): boolean {
  switch (category) {
    case 'inference':
    case 'metadata':
      return true;
    case 'health':
      return config.auth.protectHealth;
    case 'metrics':
      return config.auth.protectMetrics;
    default:
      return false;
  }
}
