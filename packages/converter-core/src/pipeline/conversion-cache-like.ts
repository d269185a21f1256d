/**
 * The part of `@gpux/model-manager`'s `ConversionCache` that the pipeline uses (structural, so a
 * test or another cache implementation can stand in).
 */
export interface ConversionCacheLike {
  findConversion(key: { sourceId: string; revision: string; options: Record<string, unknown> }): Promise<{ directory: string } | undefined>;
  beginConversion(key: { sourceId: string; revision: string; options: Record<string, unknown> }): Promise<{
    directory: string;
    commit(meta: { toolVersions: Record<string, string> }): Promise<{ directory: string }>;
    abort(): Promise<void>;
  }>;
}
