import type { Identity, IssuedToken, TokenService } from "./auth/tokens";
import type { ClickHouse } from "./clickhouse/client";
import type { Config } from "./config";
import type { KafkaCluster } from "./kafka/client";
import type { Logger } from "./logger";
import type { Metrics } from "./metrics";

/** Everything the HTTP app is built from; `main` makes the real ones, tests may make their own. */
export interface AppDeps {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  clickhouse: ClickHouse;
  kafka: KafkaCluster;
  tokens: TokenService;
  login: (username: string, password: string) => Promise<IssuedToken>;
  startedAt: number;
}

export interface AppEnv {
  Variables: {
    requestId: string;
    /** Who made the request, once authenticated; the access log reports it. */
    user?: Identity;
  };
}
