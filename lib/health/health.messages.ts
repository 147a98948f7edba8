/** What the health probes log. Log lines may be reworded between versions. */
export const HealthMessage = {
  noHttpServer: 'No HTTP server (application context): the health probes are not served.',
  served: (livePath: string, readyPath: string) =>
    `Health probes: GET ${livePath} (liveness), GET ${readyPath} (readiness)`,
} as const;
