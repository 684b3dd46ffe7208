import type { Identity, IssuedToken, TokenService } from "./auth/tokens";
import type { ClickHouse } from "./clickhouse/client";
import type { Config } from "./config";
import type { KafkaCluster } from "./kafka/client";
import type { EventProducer } from "./kafka/producer";
import type { Logger } from "./logger";
import type { Metrics } from "./metrics";
import type { RateLimitState } from "./middleware/rate-limit";

/** Everything the HTTP app is built from; `main` makes the real ones, tests may make their own. */
export interface AppDeps {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  clickhouse: ClickHouse;
  kafka: KafkaCluster;
  /** The process's one Kafka producer; produce and events send through it. */
  producer: EventProducer;
  tokens: TokenService;
  login: (username: string, password: string) => Promise<IssuedToken>;
  startedAt: number;
}

export interface AppEnv {
  Variables: {
    requestId: string;
    /** The route template that answers, found once per request (see `routeTemplate`). */
    route?: string;
    /** Who made the request, once authenticated; the access log reports it. */
    user?: Identity;
    /** The tightest rate limit this request counted in, for the RateLimit-* headers. */
    rateLimit?: RateLimitState;
  };
}
